package io.twinplatform.deploy.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The roles a key or token may hold (docs/security.md has the matrix). {@code operator} includes everything
 * {@code viewer} may do; {@code admin} everything the others may do. {@code gateway} allows no operation by itself:
 * it lets a caller in front of the platform name, in {@code X-Principal}, the user it acts for, which is recorded
 * beside the gateway's own identity. {@code monitor} may scrape {@code /actuator/prometheus} and nothing else: a
 * Prometheus server's key then reads no twin and runs nothing.
 */
public enum Role {
    viewer, operator, auditor, admin, gateway, monitor;

    /** The role named, if any (names are lower case, as written in keys and tokens). */
    public static Optional<Role> named(String name) {
        for (Role role : values()) {
            if (role.name().equals(name)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }

    /** What the given roles may do: each role with the ones it includes. */
    public static Set<Role> effective(Collection<Role> held) {
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (Role role : held) {
            roles.add(role);
            switch (role) {
                case operator -> roles.add(viewer);
                case admin -> roles.addAll(EnumSet.of(viewer, operator, auditor));
                default -> { }
            }
        }
        return roles;
    }
}
