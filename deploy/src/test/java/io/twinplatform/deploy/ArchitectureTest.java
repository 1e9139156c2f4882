package io.twinplatform.deploy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The module rules of ARCHITECTURE.md, checked on the compiled classes: the write, read and history sides never
 * depend on each other (they talk through messages on Axon's buses), the contract has no Spring, no JPA and no
 * JDBC, and the simulator knows only the contract (it speaks the public device protocol, as any device does).
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.twinplatform");
    }

    @Test
    void importsEveryModule() {
        for (String module : new String[]{"io.twinplatform.api", "io.twinplatform.command", "io.twinplatform.query",
                "io.twinplatform.history", "io.twinplatform.simulator"}) {
            org.assertj.core.api.Assertions.assertThat(classes.stream()
                    .anyMatch(c -> c.getPackageName().startsWith(module))).as(module).isTrue();
        }
    }

    @Test
    void writeSideDependsOnNeitherReadNorHistorySide() {
        noClasses().that().resideInAPackage("io.twinplatform.command..")
                .should().dependOnClassesThat().resideInAnyPackage("io.twinplatform.query..", "io.twinplatform.history..")
                .check(classes);
    }

    @Test
    void readSideDependsOnNeitherWriteNorHistorySide() {
        noClasses().that().resideInAPackage("io.twinplatform.query..")
                .should().dependOnClassesThat().resideInAnyPackage("io.twinplatform.command..", "io.twinplatform.history..")
                .check(classes);
    }

    @Test
    void historySideDependsOnNeitherWriteNorReadSide() {
        noClasses().that().resideInAPackage("io.twinplatform.history..")
                .should().dependOnClassesThat().resideInAnyPackage("io.twinplatform.command..", "io.twinplatform.query..")
                .check(classes);
    }

    @Test
    void contractHasNoSpringNoPersistenceAndNoOtherModule() {
        noClasses().that().resideInAPackage("io.twinplatform.api..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta.persistence..",
                        "javax.persistence..", "java.sql..", "javax.sql..", "io.twinplatform.command..",
                        "io.twinplatform.query..", "io.twinplatform.history..", "io.twinplatform.simulator..",
                        "io.twinplatform.deploy..")
                .check(classes);
    }

    @Test
    void simulatorUsesTheContractAloneAndNoSpring() {
        noClasses().that().resideInAPackage("io.twinplatform.simulator..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.twinplatform.command..",
                        "io.twinplatform.query..", "io.twinplatform.history..", "io.twinplatform.deploy..")
                .check(classes);
    }

    @Test
    void onlyTheRunnablePlatformStartsTheSimulator() {
        noClasses().that().resideInAnyPackage("io.twinplatform.api..", "io.twinplatform.command..",
                        "io.twinplatform.query..", "io.twinplatform.history..")
                .should().dependOnClassesThat().resideInAPackage("io.twinplatform.simulator..")
                .check(classes);
    }

    /**
     * Package by feature (docs/architecture.md): inside a module, a package names what its classes are about (twin,
     * rollout, dispatch, database), never a technical layer, and each module's configuration sits at its root.
     */
    @Test
    void packagesAreFeaturesNotLayers() {
        java.util.Set<String> layers = java.util.Set.of("api", "config", "controller", "controllers", "service",
                "services", "repository", "repositories", "util", "utils", "impl", "model");
        java.util.List<String> layered = classes.stream().map(c -> c.getPackageName())
                .filter(name -> !name.equals("io.twinplatform.api") && !name.startsWith("io.twinplatform.api."))
                .filter(name -> layers.contains(name.substring(name.lastIndexOf('.') + 1)))
                .distinct().sorted().toList();
        org.assertj.core.api.Assertions.assertThat(layered).isEmpty();
    }
}
