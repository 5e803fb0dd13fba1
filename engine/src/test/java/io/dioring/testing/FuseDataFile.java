package io.dioring.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A FUSE fault filesystem ({@link FaultFs}) mounted for each test, holding one file of random
 * bytes, {@code "data"}: register it as a field,
 * {@code @RegisterExtension final FuseDataFile fuse = new FuseDataFile(size, seed);}. The test is
 * skipped (with a printed reason) where FUSE cannot be mounted; the filesystem is unmounted
 * after each test.
 */
public final class FuseDataFile implements BeforeEachCallback, AfterEachCallback {
    private static final String NAME = "data";

    private final int size;
    private final long seed;
    private FaultFs fs;
    private byte[] data;

    /** {@code size} random bytes from a {@link Random} seeded with {@code seed}. */
    public FuseDataFile(int size, long seed) {
        this.size = size;
        this.seed = seed;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        fs = FaultFs.mountOrSkip();
        data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.write(backingFile(), data);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (fs != null) {
            fs.close();
            fs = null;
        }
    }

    /** The mounted filesystem, to {@link FaultFs#configure configure} faults. */
    public FaultFs fs() {
        return fs;
    }

    /** The file's bytes as written before the test. */
    public byte[] data() {
        return data;
    }

    /** The file in the mount (through FUSE, with its faults). */
    public Path file() {
        return fs.file(NAME);
    }

    /** The same file in the backing directory (no FUSE, no faults). */
    public Path backingFile() {
        return fs.backing().resolve(NAME);
    }
}
