package io.dioring;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs each {@link BackendTest} once per concrete backend ({@link Backend#IO_URING},
 * {@link Backend#THREADS}), resolving a {@link Backend} parameter of the test and of its
 * {@code @BeforeEach} methods. The io_uring run is skipped, with the cause printed, where
 * io_uring is unavailable; the threads run always runs.
 *
 * <p>Registered on a class ({@code @ExtendWith(BackendSuite.class)}) that also has plain
 * {@code @Test} methods (io_uring-specific ones), it resolves their {@code @BeforeEach}'s
 * Backend parameter to {@link Backend#IO_URING}; those tests gate themselves on io_uring
 * ({@code Kernel.assumeIoUring()}).
 */
public final class BackendSuite implements TestTemplateInvocationContextProvider, ParameterResolver {
    /** The backends every semantic test runs on. */
    static final List<Backend> ALL = List.of(Backend.IO_URING, Backend.THREADS);

    /** The configuration a semantic test starts from on {@code backend}. */
    static EngineConfig defaults(Backend backend) {
        return EngineConfig.defaults().withBackend(backend);
    }

    /** Whether a thread of that name is one of an engine's own I/O threads (a ring thread or a pool worker). */
    static boolean isEngineThread(String name) {
        return name.startsWith("dioring-ring") || name.startsWith("dioring-io");
    }

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getRequiredTestMethod().isAnnotationPresent(BackendTest.class);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        return ALL.stream().map(BackendSuite::invocation);
    }

    private static TestTemplateInvocationContext invocation(Backend backend) {
        return new TestTemplateInvocationContext() {
            @Override
            public String getDisplayName(int invocationIndex) {
                return "[" + backend.name().toLowerCase() + "]";
            }

            @Override
            public List<Extension> getAdditionalExtensions() {
                return List.of(new Fixed(backend), (BeforeEachCallback) c -> {
                    if (backend == Backend.IO_URING) {
                        Kernel.assumeIoUring();
                    }
                });
            }
        };
    }

    /** Class-level: a plain @Test's lifecycle methods get IO_URING. */
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Backend.class
                && context.getTestMethod().map(m -> !m.isAnnotationPresent(BackendTest.class)).orElse(false);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return Backend.IO_URING;
    }

    /** One invocation's backend. */
    private record Fixed(Backend backend) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == Backend.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return backend;
        }
    }
}
