package io.twinplatform.api.device;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Device credentials derived from one fleet secret, as Azure DPS derives a device key from a group enrollment key:
 * a device's MQTT user name is its twin id ({@code d1}, or {@code d1/m1} for a module) and its password is
 * {@code base64url(HMAC-SHA256(secret, twinId))} without padding. The broker checks a password by deriving it again,
 * so no per-device key is stored; rotating the secret rotates every key. One device's key is rotated by moving it to
 * its next generation {@code g}: its password is then derived from {@code twinId#g}, and the one before no longer
 * matches.
 */
public final class DeviceKeys {

    private final byte[] secret;

    public DeviceKeys(String secret) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException("the device secret must be at least 16 characters");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** The password of the device (or module) whose twin id is {@code twinId}. */
    public String password(String twinId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest(twinId));
    }

    /** The key's bytes for generation {@code generation} of the device's key. */
    public byte[] keyBytes(String twinId, int generation) {
        if (generation < 0) {
            throw new IllegalArgumentException("a key generation is 0 or more");
        }
        return digest(generation == 0 ? twinId : twinId + "#" + generation);
    }

    /**
     * The device's symmetric key in Azure's form (standard base64): what goes in an Azure connection string's
     * {@code SharedAccessKey} and signs the device's SAS tokens.
     */
    public String symmetricKey(String twinId, int generation) {
        return Base64.getEncoder().encodeToString(keyBytes(twinId, generation));
    }

    private byte[] digest(String text) {
        return hmacSha256(secret, text);
    }

    /** HMAC-SHA256 of {@code text} (UTF-8) under {@code key}: what every device key and SAS signature is made of. */
    static byte[] hmacSha256(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** The password of generation {@code generation} of the device's key; generation 0 is {@link #password}. */
    public String password(String twinId, int generation) {
        if (generation < 0) {
            throw new IllegalArgumentException("a key generation is 0 or more");
        }
        return generation == 0 ? password(twinId) : password(twinId + "#" + generation);
    }

    /** Whether {@code password} is the one derived for {@code twinId}, compared in constant time. */
    public boolean matches(String twinId, byte[] password) {
        return matches(twinId, 0, password);
    }

    /** Whether {@code password} is generation {@code generation}'s for {@code twinId}, compared in constant time. */
    public boolean matches(String twinId, int generation, byte[] password) {
        return password != null
                && MessageDigest.isEqual(password(twinId, generation).getBytes(StandardCharsets.UTF_8), password);
    }
}
