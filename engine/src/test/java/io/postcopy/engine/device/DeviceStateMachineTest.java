package io.postcopy.engine.device;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.postcopy.engine.device.DeviceMigrationState.ERROR;
import static io.postcopy.engine.device.DeviceMigrationState.RESUMING;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING_P2P;
import static io.postcopy.engine.device.DeviceMigrationState.STOP;
import static io.postcopy.engine.device.DeviceMigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeviceStateMachineTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> events = new ArrayList<>();
    private DeviceMigrationState failingArcTarget;

    private final MigrationArcHandler recordingHandler = new MigrationArcHandler() {
        @Override
        public void onArc(DeviceMigrationState from, DeviceMigrationState to) {
            if (to == failingArcTarget) {
                throw new IllegalStateException("simulated failure entering " + to);
            }
            events.add(from + "->" + to);
        }

        @Override
        public void onReset(DeviceMigrationState from) {
            events.add("reset from " + from);
        }
    };

    private DeviceStateMachine machine(MigrationCapabilities capabilities) {
        return new DeviceStateMachine("dev0", capabilities, recordingHandler, registry);
    }

    private double gauge() {
        return registry.get(DeviceStateMachine.STATE_GAUGE).tag("device", "dev0").gauge().value();
    }

    @Test
    void shouldStartRunningAndPublishGaugeWhenCreated() {
        DeviceStateMachine machine = machine(MigrationCapabilities.ALL);

        assertEquals(RUNNING, machine.state());
        assertEquals(RUNNING.vfioValue(), gauge());
    }

    @Test
    void shouldPublishEveryStepInGaugeWhenWalkingPath() {
        DeviceStateMachine machine = machine(MigrationCapabilities.ALL);

        assertEquals(List.of(RUNNING_P2P, STOP, STOP_COPY), machine.requestState(STOP_COPY, "switchover"));

        assertEquals(List.of("RUNNING->RUNNING_P2P", "RUNNING_P2P->STOP", "STOP->STOP_COPY"), events);
        assertEquals(STOP_COPY.vfioValue(), gauge());
    }

    @Test
    void shouldGoToErrorWhenArcActionFails() {
        DeviceStateMachine machine = machine(MigrationCapabilities.NONE);
        failingArcTarget = STOP_COPY;

        PostcopyException failure = assertThrows(PostcopyException.class,
            () -> machine.requestState(STOP_COPY, "switchover"));

        assertEquals(ErrorCode.DEVICE_STATE, failure.code());
        assertEquals(ERROR, machine.state());
        assertEquals(ERROR.vfioValue(), gauge());
        assertEquals(List.of("RUNNING->STOP"), events, "the step before the failed arc was taken");
    }

    @Test
    void shouldRefuseEveryRequestWhenInError() {
        DeviceStateMachine machine = machine(MigrationCapabilities.ALL);
        failingArcTarget = STOP;
        assertThrows(PostcopyException.class, () -> machine.requestState(STOP, "test"));
        failingArcTarget = null;

        for (DeviceMigrationState target : DeviceMigrationState.values()) {
            assertThrows(PostcopyException.class, () -> machine.requestState(target, "test"), target::toString);
            assertEquals(ERROR, machine.state());
        }
    }

    @Test
    void shouldReturnToRunningWhenResetFromError() {
        DeviceStateMachine machine = machine(MigrationCapabilities.NONE);
        failingArcTarget = RESUMING;
        assertThrows(PostcopyException.class, () -> machine.requestState(RESUMING, "load"));
        failingArcTarget = null;

        machine.reset("operator reset");

        assertEquals(RUNNING, machine.state());
        assertEquals(RUNNING.vfioValue(), gauge());
        assertEquals("reset from ERROR", events.get(events.size() - 1));
        assertEquals(List.of(STOP, RESUMING), machine.requestState(RESUMING, "load again"));
    }

    @Test
    void shouldRefuseUnsupportedStateWhenDeviceLacksTheFeature() {
        DeviceStateMachine machine = machine(MigrationCapabilities.NONE);

        PostcopyException refused = assertThrows(PostcopyException.class,
            () -> machine.requestState(RUNNING_P2P, "test"));

        assertEquals(ErrorCode.DEVICE_STATE, refused.code());
        assertEquals(RUNNING, machine.state());
        assertEquals(List.of(), events);
    }

    @Test
    void shouldRefuseErrorAsTargetWhenRequested() {
        DeviceStateMachine machine = machine(MigrationCapabilities.ALL);

        assertThrows(PostcopyException.class, () -> machine.requestState(ERROR, "test"));

        assertEquals(RUNNING, machine.state());
    }

    @Test
    void shouldDoNothingWhenRequestingCurrentState() {
        DeviceStateMachine machine = machine(MigrationCapabilities.ALL);

        assertEquals(List.of(), machine.requestState(RUNNING, "no-op"));
        assertEquals(List.of(), events);
    }
}
