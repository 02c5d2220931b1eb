package io.postcopy.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the report says about the machine: load averages from {@code /proc/loadavg}, the JDK, the OS. */
final class MachineInfo {
    private MachineInfo() {
    }

    /** The 1, 5 and 15 minute load averages (only the 1-minute one where {@code /proc/loadavg} is missing). */
    static List<Double> loadAverages() {
        List<Double> loads = new ArrayList<>();
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            for (int i = 0; i < 3 && i < fields.length; i++) {
                loads.add(Double.parseDouble(fields[i]));
            }
        } catch (IOException | NumberFormatException e) {
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            if (load >= 0) {
                loads.add(load);
            }
        }
        return loads;
    }

    static String jdk() {
        return System.getProperty("java.vm.vendor", "?") + " " + System.getProperty("java.vm.name", "?") + " "
            + Runtime.version();
    }

    static String os() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch");
    }
}
