package io.postcopy.cli.option;

import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --page-size 4k|2m}: one of the two page sizes the engine supports, in bytes. */
public final class PageSizeConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        long bytes;
        try {
            bytes = MemoryGeometry.parseSize(value);
        } catch (PostcopyException e) {
            bytes = -1;
        }
        if (bytes != MemoryGeometry.SMALL_PAGE_SIZE && bytes != MemoryGeometry.HUGE_PAGE_SIZE) {
            throw new TypeConversionException("page size '" + value + "' (expected: 4k or 2m)");
        }
        return (int) bytes;
    }
}
