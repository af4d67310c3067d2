package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void leasesAddUpAndCloseOnce() {
        MemoryBudget budget = new MemoryBudget(100, Duration.ofSeconds(1));
        MemoryBudget.Lease a = budget.acquire(60);
        MemoryBudget.Lease b = budget.acquire(40);
        assertEquals(100, budget.used());
        a.close();
        a.close();
        assertEquals(40, budget.used());
        b.close();
        assertEquals(0, budget.used());
    }

    @Test
    void whatDoesNotFitIsRefusedAfterTheWaitAndTakesNothing() {
        MemoryBudget budget = new MemoryBudget(100, Duration.ofMillis(50));
        try (MemoryBudget.Lease held = budget.acquire(80)) {
            BatchingExecutor.OverloadedException refused =
                    assertThrows(BatchingExecutor.OverloadedException.class, () -> budget.acquire(30));
            assertTrue(refused.retryAfter().toSeconds() >= 1);
            assertEquals(80, budget.used());
        }
        assertEquals(0, budget.used());
    }

    @Test
    void anImageLargerThanTheBudgetRunsAloneOnceItIsFree() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, Duration.ofSeconds(10));
        MemoryBudget.Lease small = budget.acquire(10);
        CountDownLatch admitted = new CountDownLatch(1);
        Thread big = new Thread(() -> {
            try (MemoryBudget.Lease lease = budget.acquire(1_000)) {
                assertEquals(100, budget.used());
                admitted.countDown();
            }
        });
        big.start();
        assertEquals(false, admitted.await(100, TimeUnit.MILLISECONDS), "waits while anything else is held");
        small.close();
        assertTrue(admitted.await(10, TimeUnit.SECONDS));
        big.join();
        assertEquals(0, budget.used());
    }

    @Test
    void waitersAreAdmittedInTheOrderTheyCame() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, Duration.ofSeconds(10));
        MemoryBudget.Lease held = budget.acquire(100);
        List<String> order = new CopyOnWriteArrayList<>();
        Thread first = waiter(budget, 90, "first", order);
        awaitWaiting(budget, first);
        // 20 does not fit beside the first's 90, so the second runs only after the first has finished, unless
        // it jumped the queue while the first waited (then it would run first).
        Thread second = waiter(budget, 20, "second", order);
        awaitWaiting(budget, second);
        held.close();
        first.join(10_000);
        second.join(10_000);
        assertEquals(List.of("first", "second"), order);
    }

    private static Thread waiter(MemoryBudget budget, long bytes, String name, List<String> order) {
        Thread t = new Thread(() -> {
            try (MemoryBudget.Lease lease = budget.acquire(bytes)) {
                order.add(name);
            }
        });
        t.start();
        return t;
    }

    @Test
    void theBudgetMustBePositiveAndSaysWhatItIs() {
        assertEquals("a memory budget must be positive, was 0",
                assertThrows(IllegalArgumentException.class, () -> new MemoryBudget(0, Duration.ZERO)).getMessage());
        MemoryBudget one = new MemoryBudget(1, Duration.ZERO);
        assertEquals(1, one.capacity());
        try (MemoryBudget.Lease all = one.acquire(5)) {
            assertEquals(1, one.used(), "a request larger than the budget takes all of it, no more");
        }
    }

    @Test
    void aWaiterThatIsInterruptedGivesUpAndKeepsItsInterrupt() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, Duration.ofSeconds(30));
        try (MemoryBudget.Lease held = budget.acquire(100)) {
            List<Object> outcome = new CopyOnWriteArrayList<>();
            Thread waiter = new Thread(() -> {
                try {
                    budget.acquire(10).close();
                    outcome.add("admitted");
                } catch (BatchingExecutor.OverloadedException e) {
                    outcome.add(e.getMessage());
                    outcome.add(Thread.currentThread().isInterrupted());
                }
            });
            waiter.start();
            awaitWaiting(budget, waiter);
            waiter.interrupt();
            waiter.join(10_000);
            assertEquals(List.of("interrupted while waiting for memory", true), outcome);
            assertEquals(100, budget.used());
        }
    }

    private static void awaitWaiting(MemoryBudget budget, Thread t) throws InterruptedException {
        while (t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive());
            Thread.sleep(1);
        }
    }
}
