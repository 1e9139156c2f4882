package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import io.twinplatform.api.device.DeviceTls;
import io.twinplatform.deploy.SecretFiles;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.twin.TwinId;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The embedded broker's TLS identity: the key store its TLS listener serves, and what a client must trust to talk to
 * it. Either the key store {@code twin.mqtt.tls.keystore} names, or one made in {@code <TWIN_DATA_DIR>/mqtt/tls}
 * (0700) on first start and used from then on:
 * <ul>
 *   <li>{@code ca.crt} (PEM, 0644): a self-signed CA, the certificate devices are given to check the broker by;</li>
 *   <li>{@code ca.key} (PEM PKCS#8, 0600): its key, kept to issue the next server certificate;</li>
 *   <li>{@code server.p12} (PKCS12, 0600): the server's key and its certificate, signed by the CA, for
 *       {@code localhost}, {@code 127.0.0.1}, {@code ::1}, this machine's host name and
 *       {@code twin.mqtt.tls.host-names};</li>
 *   <li>{@code server-password} (0600): the key store's password, made with it;</li>
 *   <li>{@code device-ca.p12} (PKCS12, 0600): the CA alone, the trust store the broker checks device certificates
 *       with.</li>
 * </ul>
 * With a made CA, devices may also authenticate with a certificate it issued ({@link #issueDeviceCertificate}): the
 * TLS listener asks for one (and lets a device without one in, for its password). Its subject names the twin
 * ({@code CN}) and the generation of the device's key it was issued under ({@code OU=key generation <g>}), so that
 * rotating or revoking the key retires the certificate too.
 * All keys are RSA 2048 (SHA-256 signatures), which every TLS stack a device may have speaks. The CA is valid for ten
 * years. The server certificate (two years) is issued again from the same CA when it has less than 30 days left,
 * when the names asked for are not all in it, or when it cannot be read; devices keep trusting {@code ca.crt}.
 */
public final class BrokerTls {

    private static final Logger log = LoggerFactory.getLogger(BrokerTls.class);
    /** The file under {@code <TWIN_DATA_DIR>/mqtt} a device is given: the CA's certificate. */
    public static final String CA_FILE = "tls/ca.crt";
    private static final String CA_KEY = "ca.key";
    private static final String KEYSTORE = "server.p12";
    private static final String KEYSTORE_PASSWORD = "server-password";
    private static final String ALIAS = "broker";
    private static final String DEVICE_TRUSTSTORE = "device-ca.p12";
    private static final String GENERATION_UNIT = "key generation ";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration SERVER_VALIDITY = Duration.ofDays(730);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);
    /** How far back a new certificate's validity starts, for devices whose clock is a little behind. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final String SIGNATURE = "SHA256withRSA";
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path keystore;
    private final String keystorePassword;
    private final Path caFile;
    private final List<X509Certificate> trusted;
    private final boolean pinned;
    private final X509Certificate certificate;
    /** The made CA, which issues device certificates; null with a configured key store. */
    private final Authority authority;
    private final Path deviceTruststore;

    private BrokerTls(Path keystore, String keystorePassword, Path caFile, List<X509Certificate> trusted,
                      boolean pinned, X509Certificate certificate, Authority authority, Path deviceTruststore) {
        this.authority = authority;
        this.deviceTruststore = deviceTruststore;
        this.keystore = keystore;
        this.keystorePassword = keystorePassword;
        this.caFile = caFile;
        this.trusted = trusted;
        this.pinned = pinned;
        this.certificate = certificate;
    }

    /**
     * The configured key store, else the made one under {@code home/tls} (made, or its server certificate issued
     * again, as the class comment says).
     *
     * @param home the embedded broker's directory, {@code <TWIN_DATA_DIR>/mqtt}
     * @throws IllegalArgumentException when the configured key store cannot be used, a configured host name is not
     *                                  one, or {@code ca.crt} is there without {@code ca.key}
     */
    static BrokerTls prepare(MqttSettings.Tls settings, Path home) throws IOException {
        try {
            return settings.keystore().isBlank() ? made(settings.hostNames(), home) : configured(settings);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not prepare the embedded MQTT broker's TLS certificate", e);
        }
    }

    /** The key store the TLS listener serves (PKCS12, or what was configured). */
    Path keystore() {
        return keystore;
    }

    /** Its password, which is its key's password too. */
    String keystorePassword() {
        return keystorePassword;
    }

    /**
     * The CA certificate devices are given ({@code <TWIN_DATA_DIR>/mqtt/tls/ca.crt}); none with a configured key
     * store.
     */
    public Optional<Path> caFile() {
        return Optional.ofNullable(caFile);
    }

    /**
     * The trust store (PKCS12, the key store's password) the TLS listener checks device certificates with: the made
     * CA; none with a configured key store, whose issuer the platform does not hold.
     */
    Optional<Path> deviceTruststore() {
        return Optional.ofNullable(deviceTruststore);
    }

    /**
     * A certificate for the device or module {@code twinId} from the made CA, for the key of a PKCS#10 request (PEM),
     * valid for as long as the CA is, under generation {@code generation} of the device's key: the broker takes it
     * while that generation is the device's and not revoked. The request's own subject is not used.
     *
     * @return the certificate, PEM
     * @throws TwinException {@code 400 invalidCsr} when the request cannot be read or its signature is wrong;
     *                       {@code 409 noDeviceCa} with a configured key store
     */
    String issueDeviceCertificate(String csrPem, TwinId twinId, int generation) {
        if (authority == null) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "noDeviceCa", "the broker serves a configured"
                    + " key store (twin.mqtt.tls.keystore), whose CA the platform does not hold: it issues no device"
                    + " certificates"));
        }
        PKCS10CertificationRequest request;
        try (PEMParser parser = new PEMParser(new StringReader(csrPem == null ? "" : csrPem))) {
            Object read = parser.readObject();
            if (!(read instanceof PKCS10CertificationRequest csr) || !csr.isSignatureValid(
                    new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
                throw invalidCsr();
            }
            request = csr;
        } catch (IOException | OperatorCreationException | PKCSException | RuntimeException e) {
            if (e instanceof TwinException refusal) {
                throw refusal;
            }
            throw invalidCsr();
        }
        try {
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, twinId.value())
                    .addRDN(BCStyle.OU, GENERATION_UNIT + generation).build();
            PublicKey key = new JcaPEMKeyConverter().getPublicKey(request.getSubjectPublicKeyInfo());
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(authority.certificate().getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(Instant.now().minus(BACKDATE)), authority.certificate().getNotAfter(), subject, key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(authority.certificate()));
            X509Certificate issued = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE).build(authority.key())));
            return pem("CERTIFICATE", issued.getEncoded()) + "\n";
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("could not issue a device certificate", e);
        }
    }

    private static TwinException invalidCsr() {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidCsr", "$.csr",
                "csr must be a PKCS#10 certificate signing request in PEM, signed with the key it names"));
    }

    /**
     * The twin and key generation a device certificate of {@link #issueDeviceCertificate} names, or empty when its
     * subject is not of that form. Whether the CA issued it is the TLS listener's check.
     */
    static Optional<DeviceCertificate> deviceCertificate(X509Certificate certificate) {
        try {
            X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
            RDN[] names = subject.getRDNs(BCStyle.CN);
            RDN[] units = subject.getRDNs(BCStyle.OU);
            if (names.length != 1 || units.length != 1) {
                return Optional.empty();
            }
            String unit = ((ASN1String) units[0].getFirst().getValue()).getString();
            if (!unit.startsWith(GENERATION_UNIT)) {
                return Optional.empty();
            }
            TwinId twinId = TwinId.parse(((ASN1String) names[0].getFirst().getValue()).getString());
            return Optional.of(new DeviceCertificate(twinId,
                    Integer.parseInt(unit.substring(GENERATION_UNIT.length()))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** What a device certificate says: whose it is, and under which generation of its key it was issued. */
    record DeviceCertificate(TwinId twinId, int generation) {
    }

    /** The certificate the broker presents. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * For the platform's own connections to this broker on 127.0.0.1: TLS 1.3 or 1.2, trusting the made CA (and
     * checking the name, which the made certificate has), or exactly the configured key store's certificate, whose
     * names need not include 127.0.0.1.
     */
    public MqttClientSslConfig clientConfig() {
        var builder = MqttClientSslConfig.builder().trustManagerFactory(DeviceTls.trustManagerFactory(trusted))
                .protocols(DeviceTls.PROTOCOLS);
        if (pinned) {
            // Trust is this one certificate, so its names add nothing on a loopback connection.
            builder = builder.hostnameVerifier((host, session) -> true);
        }
        return builder.build();
    }

    /**
     * Opens a TLS connection to {@code 127.0.0.1:port} as {@link #clientConfig()} would, and closes it: the broker
     * listens there with this certificate.
     */
    void handshake(int port) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, DeviceTls.trustManagerFactory(trusted).getTrustManagers(), null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setProtocols(DeviceTls.PROTOCOLS.toArray(String[]::new));
                if (!pinned) {
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                }
                socket.setSSLParameters(parameters);
                socket.startHandshake();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS client context", e);
        }
    }

    /** A client configuration trusting the certificates in {@code pemFile} (a device's {@code ca.crt}). */
    public static MqttClientSslConfig clientConfig(Path pemFile) {
        return MqttClientSslConfig.builder().trustManagerFactory(DeviceTls.trustManagerFactory(pemFile))
                .protocols(DeviceTls.PROTOCOLS).build();
    }

    // ---- the configured key store

    private static BrokerTls configured(MqttSettings.Tls settings) throws IOException, GeneralSecurityException {
        Path path = Path.of(settings.keystore()).toAbsolutePath();
        if (settings.keystorePassword().isEmpty()) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore is set but twin.mqtt.tls.keystore-password is "
                    + "not");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore: " + path + " is not a file");
        }
        char[] password = settings.keystorePassword().toCharArray();
        KeyStore store;
        try {
            store = KeyStore.getInstance(path.toFile(), password);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore: cannot open " + path + " with "
                    + "twin.mqtt.tls.keystore-password (a PKCS12 or JKS key store): " + e.getMessage(), e);
        }
        List<String> keys = new ArrayList<>();
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                keys.add(alias);
            }
        }
        if (keys.size() != 1) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore: " + path + " must hold exactly one key (the "
                    + "broker's, with its certificate chain); it holds " + keys.size());
        }
        try {
            store.getKey(keys.get(0), password);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore: the key in " + path + " must have the key "
                    + "store's password: " + e.getMessage(), e);
        }
        Certificate[] chain = store.getCertificateChain(keys.get(0));
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new IllegalArgumentException("twin.mqtt.tls.keystore: the key in " + path
                    + " has no X.509 certificate");
        }
        log.info("embedded MQTT broker's TLS certificate from {}: {}, valid until {}", path,
                leaf.getSubjectX500Principal().getName(), leaf.getNotAfter().toInstant());
        return new BrokerTls(path, settings.keystorePassword(), null, List.of(leaf), true, leaf, null, null);
    }

    // ---- the made CA and server certificate

    private static BrokerTls made(List<String> extraNames, Path home)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        Set<String> names = names(extraNames);
        Path directory = SecretFiles.privateDirectory(home.resolve("tls"));
        Path caFile = home.resolve(CA_FILE);
        Path caKeyFile = directory.resolve(CA_KEY);
        Authority ca;
        if (Files.exists(caFile)) {
            if (!Files.exists(caKeyFile)) {
                throw new IllegalArgumentException(caFile + " is there without its key " + caKeyFile + ": put the key "
                        + "back, or move both away to make a new CA (devices then need the new ca.crt)");
            }
            ca = Authority.read(caFile, caKeyFile);
            Instant caEnd = ca.certificate().getNotAfter().toInstant();
            if (Instant.now().plus(Duration.ofDays(365)).isAfter(caEnd)) {
                log.warn("the device TLS CA {} expires at {}: move ca.crt and ca.key away to make a new one, and give "
                        + "devices the new ca.crt before then", caFile, caEnd);
            }
        } else {
            ca = Authority.make();
            SecretFiles.write(caKeyFile, pem("PRIVATE KEY", ca.key().getEncoded()));
            SecretFiles.writePublic(caFile, pem("CERTIFICATE", ca.certificate().getEncoded()) + "\n");
            log.info("made a CA for devices' TLS: {} (give this file to devices; its key is in {})", caFile, caKeyFile);
        }
        Path keystore = directory.resolve(KEYSTORE);
        String password = SecretFiles.readOrCreate(directory.resolve(KEYSTORE_PASSWORD));
        X509Certificate server = reusable(keystore, password, ca, names);
        if (server == null) {
            KeyPair keys = rsaKeys();
            server = issue(ca, keys.getPublic(), names);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, keys.getPrivate(), password.toCharArray(),
                    new Certificate[]{server, ca.certificate()});
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            store.store(bytes, password.toCharArray());
            SecretFiles.writeBytes(keystore, bytes.toByteArray());
            log.info("issued the embedded MQTT broker's TLS certificate for {}, valid until {} ({})", names,
                    server.getNotAfter().toInstant(), keystore);
        }
        KeyStore devices = KeyStore.getInstance("PKCS12");
        devices.load(null, null);
        devices.setCertificateEntry("device-ca", ca.certificate());
        ByteArrayOutputStream trustBytes = new ByteArrayOutputStream();
        devices.store(trustBytes, password.toCharArray());
        Path deviceTruststore = directory.resolve(DEVICE_TRUSTSTORE);
        SecretFiles.writeBytes(deviceTruststore, trustBytes.toByteArray());
        return new BrokerTls(keystore, password, caFile, List.of(ca.certificate()), false, server, ca,
                deviceTruststore);
    }

    /**
     * The server certificate in {@code keystore} when it can serve on: readable with {@code password}, issued by
     * {@code ca}, for all of {@code names}, with more than {@link #RENEW_BEFORE} left; else null, with a log line
     * saying why a new one is issued.
     */
    private static X509Certificate reusable(Path keystore, String password, Authority ca, Set<String> names) {
        if (!Files.exists(keystore)) {
            return null;
        }
        try {
            KeyStore store = KeyStore.getInstance(keystore.toFile(), password.toCharArray());
            if (!store.isKeyEntry(ALIAS) || store.getKey(ALIAS, password.toCharArray()) == null
                    || !(store.getCertificate(ALIAS) instanceof X509Certificate server)) {
                log.info("{} has no broker key; issuing a new one", keystore);
                return null;
            }
            server.verify(ca.certificate().getPublicKey());
            if (Instant.now().plus(RENEW_BEFORE).isAfter(server.getNotAfter().toInstant())) {
                log.info("the broker's TLS certificate expires at {}; issuing a new one", server.getNotAfter());
                return null;
            }
            Set<String> has = subjectNames(server);
            Set<String> missing = new LinkedHashSet<>(names);
            missing.removeAll(has);
            if (!missing.isEmpty()) {
                log.info("the broker's TLS certificate lacks {}; issuing a new one", missing);
                return null;
            }
            return server;
        } catch (IOException | GeneralSecurityException e) {
            log.info("cannot use {} ({}); issuing a new broker certificate", keystore, e.toString());
            return null;
        }
    }

    /** {@code localhost}, the loopback addresses, this machine's host name and {@code extra}, normalised. */
    private static Set<String> names(List<String> extra) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", normalise("::1")));
        String host = hostName();
        if (host != null) {
            names.add(host);
        }
        for (String name : extra) {
            String trimmed = name == null ? "" : name.trim();
            if (!isIp(trimmed) && !DNS_NAME.matcher(trimmed).matches()) {
                throw new IllegalArgumentException("twin.mqtt.tls.host-names: '" + name + "' is neither a host name "
                        + "nor an IP address");
            }
            names.add(normalise(trimmed));
        }
        return names;
    }

    private static String hostName() {
        try {
            String host = InetAddress.getLocalHost().getHostName();
            return host != null && DNS_NAME.matcher(host).matches() ? host.toLowerCase(Locale.ROOT) : null;
        } catch (UnknownHostException e) {
            log.debug("this machine's host name is unknown; the broker's certificate goes without it", e);
            return null;
        }
    }

    private static boolean isIp(String name) {
        return IPV4.matcher(name).matches() || name.contains(":");
    }

    /** A name as certificates compare: host names in lower case, addresses in Java's text form. */
    private static String normalise(String name) {
        if (!isIp(name)) {
            return name.toLowerCase(Locale.ROOT);
        }
        try {
            return InetAddress.getByName(name).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("twin.mqtt.tls.host-names: '" + name + "' is not an IP address");
        }
    }

    private static Set<String> subjectNames(X509Certificate certificate) throws GeneralSecurityException {
        Set<String> names = new LinkedHashSet<>();
        Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
        if (alternatives != null) {
            for (List<?> name : alternatives) {
                if (name.get(1) instanceof String text) {
                    names.add(normalise(text));
                }
            }
        }
        return names;
    }

    private static X509Certificate issue(Authority ca, PublicKey key, Set<String> names)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        GeneralName[] alternatives = names.stream()
                .map(name -> new GeneralName(isIp(name) ? GeneralName.iPAddress : GeneralName.dNSName, name))
                .toArray(GeneralName[]::new);
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(SERVER_VALIDITY)),
                new X500Name("CN=" + names.iterator().next() + ",O=Twin platform MQTT broker"), key)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives))
                .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(key))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(ca.certificate()));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(SIGNATURE).build(ca.key())));
    }

    private static KeyPair rsaKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048, RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----";
    }

    /** The CA: its certificate and key. */
    private record Authority(X509Certificate certificate, PrivateKey key) {

        static Authority make() throws GeneralSecurityException, OperatorCreationException, IOException {
            KeyPair keys = rsaKeys();
            Instant now = Instant.now();
            byte[] id = new byte[4];
            RANDOM.nextBytes(id);
            X500Name name = new X500Name("CN=Twin platform device CA " + HexFormat.of().formatHex(id));
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE).build(keys.getPrivate())));
            return new Authority(certificate, keys.getPrivate());
        }

        /** The CA kept in {@code certificateFile} and {@code keyFile}; they must belong together. */
        static Authority read(Path certificateFile, Path keyFile) throws IOException, GeneralSecurityException {
            X509Certificate certificate;
            try (InputStream in = Files.newInputStream(certificateFile)) {
                certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            String text = Files.readString(keyFile, StandardCharsets.UTF_8);
            byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(der));
            Signature signer = Signature.getInstance(SIGNATURE);
            signer.initSign(key);
            byte[] probe = "twin-platform".getBytes(StandardCharsets.UTF_8);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(SIGNATURE);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new IllegalArgumentException(keyFile + " is not the key of " + certificateFile);
            }
            return new Authority(certificate, key);
        }
    }
}
