package io.dioring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.ProviderNotFoundException;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds dioring's file system provider through the JDK's lookup of installed providers
 * (META-INF/services, or the module's {@code provides}): the provider is the layer above
 * the engine, which does not name it.
 */
final class EngineFileSystem {
    private EngineFileSystem() {
    }

    /**
     * A new file system of the provider of {@code scheme}, over {@code env}: among the
     * installed providers (the system class loader's), then those of {@code loader} (an
     * application's own); ServiceLoader instantiates them only as iterated.
     */
    static FileSystem open(String scheme, Map<String, ?> env, ClassLoader loader) {
        URI uri = URI.create(scheme + ":///");
        for (Iterable<FileSystemProvider> providers : List.of(FileSystemProvider.installedProviders(),
                ServiceLoader.load(FileSystemProvider.class, loader))) {
            for (FileSystemProvider p : providers) {
                if (scheme.equals(p.getScheme())) {
                    return newFileSystem(p, uri, env);
                }
            }
        }
        throw new ProviderNotFoundException("no file system provider of scheme " + scheme
                + " is installed: io.dioring.fs.DioringFileSystemProvider is found through META-INF/services "
                + "(class path) or the io.dioring module's `provides` (module path)");
    }

    private static FileSystem newFileSystem(FileSystemProvider p, URI uri, Map<String, ?> env) {
        try {
            return p.newFileSystem(uri, env);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
