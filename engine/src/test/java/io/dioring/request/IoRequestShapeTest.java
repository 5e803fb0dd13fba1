package io.dioring.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.deliver.Ticket;
import io.dioring.file.WriteOrder;
import io.dioring.jfr.EventSlot;
import io.dioring.reap.Outcome;
import io.dioring.split.SliceCursor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A request's state is changed only by the phase that owns it: nothing of it is publicly writable. */
class IoRequestShapeTest {
    @Test
    void noPublicMutableFieldOnTheRequestOrItsParts() {
        List<String> open = new ArrayList<>();
        for (Class<?> c : List.of(IoRequest.class, SliceCursor.class, Outcome.class, WriteOrder.class, Ticket.class,
                EventSlot.class)) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isPublic(m) && !Modifier.isFinal(m)) {
                    open.add(c.getSimpleName() + "." + f.getName());
                }
            }
        }
        assertEquals(List.of(), open, "public mutable fields");
    }

    @Test
    void thePartsAreTheRequestsOwnAndClearedForReuse() {
        RequestPool pool = RequestPool.confined(1);
        IoRequest r = pool.take();
        r.cursor().beginSync();
        r.recycle();
        IoRequest again = pool.take();
        assertSame(r, again, "the same request, reused");
        assertTrue(!again.cursor().syncing() && !again.cursor().allIssued(), "its cursor as new");
        assertEquals(Long.MAX_VALUE, again.outcome().shortPosition(), "its outcome as new");
    }
}
