package io.dioring;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A semantic test that runs once per {@link Backend} (io_uring and threads): one suite over
 * every implementation. The test, and its {@code @BeforeEach}, may take a {@link Backend}
 * parameter; see {@link BackendSuite}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BackendSuite.class)
public @interface BackendTest {}
