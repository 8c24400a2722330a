package dev.shepherd.command;

import dev.shepherd.api.device.DeviceId;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The devices of a fan-out, as a sorted array of ids: 16 bytes a device in the store, binary-searchable in memory.
 * Sorted as unsigned numbers, which is also the order of their canonical text form, so a run of them is a range
 * the store can scan.
 */
final class BatchTargets {

    private final long[] most;
    private final long[] least;

    private BatchTargets(long[] most, long[] least) {
        this.most = most;
        this.least = least;
    }

    static BatchTargets of(Collection<DeviceId> devices) {
        UUID[] ids = devices.stream().map(DeviceId::value).distinct().sorted(BatchTargets::compare).toArray(UUID[]::new);
        long[] most = new long[ids.length];
        long[] least = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            most[i] = ids[i].getMostSignificantBits();
            least[i] = ids[i].getLeastSignificantBits();
        }
        return new BatchTargets(most, least);
    }

    static BatchTargets decode(byte[] bytes) {
        if (bytes.length % 16 != 0) {
            throw new IllegalArgumentException("a target list is a whole number of 16-byte ids");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int size = bytes.length / 16;
        long[] most = new long[size];
        long[] least = new long[size];
        for (int i = 0; i < size; i++) {
            most[i] = buffer.getLong();
            least[i] = buffer.getLong();
        }
        return new BatchTargets(most, least);
    }

    byte[] encode() {
        ByteBuffer buffer = ByteBuffer.allocate(most.length * 16);
        for (int i = 0; i < most.length; i++) {
            buffer.putLong(most[i]).putLong(least[i]);
        }
        return buffer.array();
    }

    int size() {
        return most.length;
    }

    DeviceId get(int index) {
        return new DeviceId(new UUID(most[index], least[index]));
    }

    static int compare(UUID a, UUID b) {
        int most = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return most != 0 ? most : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    boolean contains(DeviceId device) {
        UUID id = device.value();
        int low = 0;
        int high = most.length - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int order = compare(new UUID(most[middle], least[middle]), id);
            if (order < 0) {
                low = middle + 1;
            } else if (order > 0) {
                high = middle - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    List<DeviceId> slice(int from, int to) {
        List<DeviceId> slice = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            slice.add(get(i));
        }
        return slice;
    }

    long bytes() {
        return most.length * 16L;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BatchTargets targets && Arrays.equals(most, targets.most) && Arrays.equals(least, targets.least);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(most) + Arrays.hashCode(least);
    }
}
