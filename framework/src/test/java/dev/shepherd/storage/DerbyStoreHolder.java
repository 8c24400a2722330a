package dev.shepherd.storage;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A process that holds an installation's embedded Derby store open, as a running server does, until its standard
 * input closes: {@link StoreCopyTest} copies from the store meanwhile and must be refused.
 */
final class DerbyStoreHolder {

    private DerbyStoreHolder() {
    }

    public static void main(String[] args) throws IOException {
        Path installation = Path.of(args[0]);
        ShepherdConfig config = new ConfigLoader(Map.of()).load(installation, installation.resolve("absent.yaml"));
        try (Database database = Database.open(config)) {
            System.out.println("OPEN " + database.dialect());
            System.out.flush();
            while (System.in.read() >= 0) {
                // held until the test closes our input
            }
        }
    }
}
