package io.twinplatform.api.device;

import io.twinplatform.api.twin.TwinId;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * An Azure IoT Hub shared access signature, as a device of Azure's SDKs sends it for its MQTT password:
 * {@code SharedAccessSignature sr=<resource>&sig=<signature>&se=<expiry>[&skn=<policy>]}, the fields in any order.
 * The signature is {@code base64(HMAC-SHA256(key, sr + "\n" + se))} with the device's symmetric key
 * ({@link DeviceKeys#symmetricKey}). SDKs differ in whether they URL-encode {@code sr}: the signature is checked over
 * {@code sr} exactly as it was sent, and the resource it names is read from it decoded.
 *
 * @param resource     {@code sr} as sent
 * @param signature    the signature's bytes
 * @param expiry       {@code se}: seconds since the epoch
 * @param policy       {@code skn}, or null (a device key signs without one)
 */
public record SasToken(String resource, byte[] signature, long expiry, String policy) {

    /** How a SAS password begins. */
    public static final String PREFIX = "SharedAccessSignature ";

    /** Whether a password is a SAS token (and not a device key of the platform's own scheme). */
    public static boolean looksLikeOne(String password) {
        return password != null && password.startsWith(PREFIX);
    }

    /** The token in {@code password}, or empty when it lacks {@code sr}, {@code sig} or a numeric {@code se}. */
    public static Optional<SasToken> parse(String password) {
        if (!looksLikeOne(password)) {
            return Optional.empty();
        }
        String resource = null;
        String signature = null;
        String expiry = null;
        String policy = null;
        for (String field : password.substring(PREFIX.length()).trim().split("&")) {
            int equals = field.indexOf('=');
            if (equals <= 0) {
                return Optional.empty();
            }
            String value = field.substring(equals + 1);
            switch (field.substring(0, equals)) {
                case "sr" -> resource = value;
                case "sig" -> signature = value;
                case "se" -> expiry = value;
                case "skn" -> policy = value;
                default -> {
                    // Other fields are not signed and change nothing.
                }
            }
        }
        if (resource == null || resource.isEmpty() || signature == null || expiry == null) {
            return Optional.empty();
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(URLDecoder.decode(signature, StandardCharsets.UTF_8));
            return Optional.of(new SasToken(resource, bytes, Long.parseLong(expiry), policy));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * A token for {@code resource} (for example {@code hub.example.com/devices/d1}), signed with the base64
     * {@code key}, valid until {@code expiry}; {@code sr} URL-encoded, as Azure's SDKs for Java and C# send it.
     */
    public static String create(String resource, String key, Instant expiry) {
        String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
        long se = expiry.getEpochSecond();
        String sig = Base64.getEncoder().encodeToString(sign(Base64.getDecoder().decode(key), sr + "\n" + se));
        return PREFIX + "sr=" + sr + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8) + "&se=" + se;
    }

    /** Whether the token was signed with {@code key} (the key's bytes), compared in constant time. */
    public boolean signedWith(byte[] key) {
        return MessageDigest.isEqual(sign(key, resource + "\n" + expiry), signature);
    }

    /** Whether the token has expired at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expiry <= now.getEpochSecond();
    }

    /**
     * Whether the resource names {@code twinId}: {@code <host>/devices/<deviceId>} for a device,
     * {@code <host>/devices/<deviceId>/modules/<moduleId>} for a module (the host is not checked: it is the name the
     * device dialled, a gateway's or the hub's).
     */
    public boolean names(TwinId twinId) {
        String decoded = URLDecoder.decode(resource, StandardCharsets.UTF_8);
        String wanted = "/devices/" + twinId.deviceId() + (twinId.isModule() ? "/modules/" + twinId.moduleId() : "");
        int slash = decoded.indexOf('/');
        return slash > 0 && decoded.substring(slash).equals(wanted);
    }

    private static byte[] sign(byte[] key, String text) {
        return DeviceKeys.hmacSha256(key, text);
    }
}
