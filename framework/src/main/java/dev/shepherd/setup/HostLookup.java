package dev.shepherd.setup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Resolves a host name to its addresses, as the devices' resolvers would (the DNS, for the Windows discovery name). */
@FunctionalInterface
public interface HostLookup {

    /**
     * @return the host's addresses in text form, empty when the name does not resolve
     * @throws HostLookupException when the lookup could not be made (a timeout)
     */
    Set<String> addresses(String host);

    /** Failure to look a name up at all, as opposed to a name that does not exist. */
    final class HostLookupException extends RuntimeException {
        public HostLookupException(String message) {
            super(message);
        }
    }

    /** The system resolver, bounded: a lookup that takes longer than five seconds fails rather than hold the request. */
    static HostLookup system() {
        // Lookups block: on threads of their own (idle ones end after a minute), never the shared pool.
        ExecutorService lookups = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "setup-dns-lookup");
            thread.setDaemon(true);
            return thread;
        });
        return host -> {
            CompletableFuture<Set<String>> lookup = CompletableFuture.supplyAsync(() -> {
                try {
                    Set<String> found = new TreeSet<>();
                    for (InetAddress address : InetAddress.getAllByName(host)) {
                        found.add(address.getHostAddress());
                    }
                    return found;
                } catch (UnknownHostException e) {
                    return Set.of();
                }
            }, lookups);
            try {
                return lookup.get(5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                lookup.cancel(true);
                throw new HostLookupException("looking up " + host + " took longer than 5 seconds");
            } catch (ExecutionException e) {
                throw new HostLookupException("looking up " + host + " failed: " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HostLookupException("interrupted while looking up " + host);
            }
        };
    }
}
