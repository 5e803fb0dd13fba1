package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ring.Ring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which backend an engine runs on in this process: io_uring where a probe ring can be set up
 * (probed once), else the thread pool for {@link Backend#AUTO}, logged once with the cause.
 */
final class BackendChoice {
    private static volatile String unavailabilityCause;
    private static volatile boolean probed;
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private BackendChoice() {}

    /** The backend {@code requested} resolves to in this process: IO_URING or THREADS. */
    static Backend choose(Backend requested) throws IOException {
        String cause = unavailabilityCause();
        return switch (requested) {
            case THREADS -> Backend.THREADS;
            case IO_URING -> {
                if (cause != null) {
                    throw new IOException("io_uring is unavailable: " + cause);
                }
                yield Backend.IO_URING;
            }
            case AUTO -> {
                if (cause == null) {
                    yield Backend.IO_URING;
                }
                if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                    System.getLogger("io.dioring").log(System.Logger.Level.INFO, "dioring: io_uring is unavailable ("
                            + cause + "); using the thread-pool backend (pread/pwrite on platform threads), which "
                            + "costs a thread per I/O in flight. EngineConfig.withBackend(Backend.THREADS) says so "
                            + "explicitly; Backend.IO_URING fails instead");
                }
                yield Backend.THREADS;
            }
        };
    }

    /**
     * Why io_uring cannot be used here (kernel without it, seccomp, the
     * {@code kernel.io_uring_disabled} sysctl), or null when it can.
     */
    static String unavailabilityCause() {
        if (!probed) {
            synchronized (BackendChoice.class) {
                if (!probed) {
                    unavailabilityCause = probeAvailability();
                    probed = true;
                }
            }
        }
        return unavailabilityCause;
    }

    private static String probeAvailability() {
        try {
            Ring ring = Ring.create(2, io.dioring.RingOptions.defaults().withoutSingleIssuer());
            ring.close();
            return null;
        } catch (RingSetupException e) {
            String sysctl = readSysctl();
            return switch (e.errno()) {
                case Errno.ENOSYS -> "io_uring_setup: ENOSYS: the kernel has no io_uring (Linux < 5.6, or built "
                        + "without CONFIG_IO_URING), or a seccomp filter answers ENOSYS for it";
                case Errno.EPERM, Errno.EACCES -> sysctl != null && !sysctl.equals("0")
                        ? "disabled by sysctl kernel.io_uring_disabled = " + sysctl + " (io_uring_setup: "
                                + Errno.name(e.errno()) + ")"
                        : "io_uring_setup denied (" + Errno.name(e.errno())
                                + "): a seccomp filter (containers often have one) or an LSM forbids it";
                default -> e.getMessage();
            };
        } catch (Throwable t) {
            return "cannot call into the kernel: " + t;
        }
    }

    private static String readSysctl() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
