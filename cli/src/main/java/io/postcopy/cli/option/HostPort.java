package io.postcopy.cli.option;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A {@code HOST:PORT} pair as given to {@code --listen} and {@code --connect}; an IPv6 host is written in
 * brackets ({@code [::1]:7000}).
 *
 * @param host a host name or address, never empty
 * @param port 0..65535 (0 asks the system for a free port where that makes sense)
 */
public record HostPort(String host, int port) {
    /** {@code host:port}, with brackets around an IPv6 host. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Picocli converter for {@link HostPort}. */
    public static final class Converter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            String text = value.trim();
            int colon = text.lastIndexOf(':');
            String host = colon > 0 ? text.substring(0, colon) : "";
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                host = "";
            }
            int port = -1;
            if (colon > 0) {
                try {
                    port = Integer.parseInt(text.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
            if (host.isEmpty() || port < 0 || port > 65535) {
                throw new TypeConversionException("address '" + value
                    + "' (expected: HOST:PORT with a port 0..65535, e.g. 127.0.0.1:7000 or [::1]:7000)");
            }
            return new HostPort(host, port);
        }
    }
}
