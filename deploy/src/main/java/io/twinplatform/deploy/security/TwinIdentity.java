package io.twinplatform.deploy.security;

import io.twinplatform.api.query.Scope;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.TwinId;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * An authenticated caller: the principal recorded in every event it causes ({@code key:<id>:<name>} for an API key,
 * {@code <issuer>:<subject>} for a token, {@code <subject>} for a token without an issuer, {@code device:<twin id>}
 * for a device with its own credentials), the roles it holds (a device: none; {@link AccessMatrix#deviceMay}
 * says what it may do) and its scope, if any. It carries no secret.
 */
public final class TwinIdentity extends AbstractAuthenticationToken {

    /** The authority of a device's own identity (not a role: no key or token can hold it). */
    public static final String DEVICE_AUTHORITY = "DEVICE";

    private final String principal;
    private final Set<Role> roles;
    private final Set<Role> effective;
    private final Scope scope;
    private final TwinId device;

    public TwinIdentity(String principal, Set<Role> roles) {
        this(principal, roles, null);
    }

    /** @param scope what the caller may see and change; {@code null} for the whole fleet */
    public TwinIdentity(String principal, Set<Role> roles, Scope scope) {
        this(principal, roles, scope, null);
    }

    private TwinIdentity(String principal, Set<Role> roles, Scope scope, TwinId device) {
        super(device != null ? List.of(new SimpleGrantedAuthority(DEVICE_AUTHORITY))
                : roles.stream().map(role -> new SimpleGrantedAuthority("ROLE_" + role.name())).toList());
        this.principal = principal;
        this.roles = Collections.unmodifiableSet(roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles));
        this.effective = Collections.unmodifiableSet(Role.effective(roles));
        this.scope = scope;
        this.device = device;
        setAuthenticated(true);
    }

    /** A device (or module) that proved its own credentials: principal {@code device:<twin id>}, as over MQTT. */
    public static TwinIdentity device(TwinId twinId) {
        return new TwinIdentity(AuditMetadata.devicePrincipal(twinId), Set.of(), null, twinId);
    }

    /** The twin whose device this is, or null for a key or token. */
    public TwinId device() {
        return device;
    }

    /** The roles as given, without the ones they include. */
    public Set<Role> roles() {
        return roles;
    }

    /** What the roles allow: each with the ones it includes ({@link Role#effective}). */
    public Set<Role> effectiveRoles() {
        return effective;
    }

    /** The caller's scope, or {@code null} when it sees the whole fleet. */
    public Scope scope() {
        return scope;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return principal;
    }

    @Override
    public String getName() {
        return principal;
    }
}
