package io.twinplatform.api.device;

import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;

/**
 * The device side of the channel's TLS, with the JDK alone: the protocol versions the platform's broker speaks, and
 * trust in exactly the CA certificate a device is given ({@code <TWIN_DATA_DIR>/mqtt/tls/ca.crt}). The broker, the
 * platform's own client and the simulator all take them from here, so a device and the broker cannot disagree.
 */
public final class DeviceTls {

    /** The only protocol versions the broker and its clients speak. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private DeviceTls() {
    }

    /**
     * Trust in exactly the certificates in {@code pemFile} (one or more PEM certificates, such as {@code ca.crt}), as
     * a device that is given the file has.
     *
     * @throws IllegalArgumentException when the file holds no certificate or is not PEM
     * @throws UncheckedIOException     when it cannot be read
     */
    public static TrustManagerFactory trustManagerFactory(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException(pemFile + " holds no certificate");
            }
            return trustManagerFactory(certificates);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pemFile, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pemFile + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Trust in exactly {@code certificates}, in a key store of the JVM's default type held in memory. */
    public static TrustManagerFactory trustManagerFactory(Collection<? extends Certificate> certificates) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("trusted-" + n++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("could not make a trust store", e);
        }
    }
}
