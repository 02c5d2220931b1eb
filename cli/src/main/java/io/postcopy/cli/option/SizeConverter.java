package io.postcopy.cli.option;

import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --memory 256m}: a size in bytes with an optional binary unit (k, m, g, t). */
public final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return MemoryGeometry.parseSize(value);
        } catch (PostcopyException e) {
            throw new TypeConversionException(Messages.withoutCode(e));
        }
    }
}
