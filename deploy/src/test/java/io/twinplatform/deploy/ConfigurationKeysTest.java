package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.tngtech.archunit.core.domain.JavaAnnotation;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaParameter;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code twin.*} key is a member of a settings record, so the configuration processor documents it (IDE
 * completion, description, default) in each module's {@code spring-configuration-metadata.json}: none is read loosely
 * with {@code @Value}, every key the code switches on or application.yml sets is documented, and each has a
 * description.
 */
class ConfigurationKeysTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(twin\\.[a-z0-9.-]+)");

    private static final Map<String, JsonNode> documented = new TreeMap<>();
    private static JavaClasses classes;

    @BeforeAll
    static void load() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (URL url : Collections.list(ConfigurationKeysTest.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                for (JsonNode property : json.readTree(in).path("properties")) {
                    if (property.path("name").asText().startsWith("twin.")) {
                        documented.put(property.path("name").asText(), property);
                    }
                }
            }
        }
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.twinplatform");
    }

    @Test
    void everyModuleDocumentsItsKeys() {
        assertThat(documented.keySet()).contains("twin.command.snapshot-threshold", "twin.devices.workers",
                "twin.query.enabled", "twin.history.enabled", "twin.telemetry.retention", "twin.mqtt.shared-group",
                "twin.security.key-cache-ttl", "twin.database.request-timeout", "twin.data-dir",
                "twin.embedded.shared-buffers");
    }

    @Test
    void everyKeyHasADescription() {
        assertThat(documented.values().stream().filter(property -> property.path("description").asText().isBlank())
                .map(property -> property.path("name").asText()).toList()).isEmpty();
    }

    @Test
    void noKeyIsReadLooselyWithValue() {
        List<String> loose = new ArrayList<>();
        for (JavaClass type : classes) {
            Stream.concat(type.getCodeUnits().stream().flatMap(unit -> parameters(unit).stream())
                                    .flatMap(parameter -> parameter.getAnnotations().stream()),
                            type.getFields().stream().flatMap(field -> field.getAnnotations().stream()))
                    .filter(annotation -> annotation.getRawType().isEquivalentTo(Value.class))
                    .map(annotation -> String.valueOf(annotation.get("value").orElse("")))
                    .filter(value -> value.contains("twin."))
                    .forEach(value -> loose.add(type.getName() + ": " + value));
        }
        assertThat(loose).isEmpty();
    }

    @Test
    void everyKeyTheCodeSwitchesOnIsDocumented() {
        TreeSet<String> keys = new TreeSet<>();
        for (JavaClass type : classes) {
            Stream.concat(type.getAnnotations().stream(),
                            type.getMethods().stream().flatMap(method -> method.getAnnotations().stream()))
                    .forEach(annotation -> keys.addAll(switchedOn(annotation)));
        }
        assertThat(keys).as("keys in @ConditionalOnProperty and @ConditionalOnExpression").isNotEmpty();
        assertThat(keys.stream().filter(key -> !documented.containsKey(key)).toList()).isEmpty();
    }

    @Test
    void everyKeyApplicationYmlSetsIsDocumented() {
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new ClassPathResource("application.yml"));
        Properties properties = yaml.getObject();
        List<String> keys = properties.stringPropertyNames().stream().filter(key -> key.startsWith("twin.")).sorted()
                .toList();
        assertThat(keys).isNotEmpty();
        assertThat(keys.stream().filter(key -> !documented.containsKey(key)).toList()).isEmpty();
    }

    private static List<JavaParameter> parameters(JavaCodeUnit unit) {
        return unit.getParameters();
    }

    private static List<String> switchedOn(JavaAnnotation<?> annotation) {
        List<String> keys = new ArrayList<>();
        if (annotation.getRawType().isEquivalentTo(ConditionalOnProperty.class)) {
            String prefix = String.valueOf(annotation.get("prefix").orElse(""));
            for (String property : Stream.concat(names(annotation, "name"), names(annotation, "value")).toList()) {
                String key = prefix.isEmpty() ? property : prefix + "." + property;
                if (key.startsWith("twin.")) {
                    keys.add(key);
                }
            }
        } else if (annotation.getRawType().isEquivalentTo(ConditionalOnExpression.class)) {
            Matcher matcher = PLACEHOLDER.matcher(String.valueOf(annotation.get("value").orElse("")));
            while (matcher.find()) {
                keys.add(matcher.group(1));
            }
        }
        return keys;
    }

    private static Stream<String> names(JavaAnnotation<?> annotation, String member) {
        Object value = annotation.get(member).orElse(new String[0]);
        return value instanceof String[] names ? Stream.of(names) : Stream.of(String.valueOf(value));
    }
}
