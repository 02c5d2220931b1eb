package io.postcopy.cli.option;

import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.vm.Workloads;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** {@code --workload kv}: the name of one of {@link Workloads#NAMES}, checked while the options are parsed. */
public final class WorkloadConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        try {
            Workloads.create(value);
        } catch (PostcopyException e) {
            throw new TypeConversionException(Messages.withoutCode(e));
        }
        return value.toLowerCase(Locale.ROOT);
    }
}
