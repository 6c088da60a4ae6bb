package io.nexs.postgres;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.elements.ClassesShouldConjunction;
import com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The core must stay free of Spring Boot, so that splitting it into a jar of its own is a move of files, and its
 * public API must sit on top of the packages that do the work, never in a cycle with them.
 */
class ArchitectureTests {

    private final JavaClasses classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages("io.nexs.postgres");

    @Test
    void coreDoesNotDependOnSpringBoot() {
        check(noCoreClass().should().dependOnClassesThat().resideInAPackage("org.springframework.boot.."));
    }

    @Test
    void coreDoesNotDependOnTheAutoConfiguration() {
        check(noCoreClass().should().dependOnClassesThat().resideInAPackage("io.nexs.postgres.autoconfigure.."));
    }

    @Test
    void packagesBelowTheApiDoNotDependOnIt() {
        check(noClasses().that()
            .resideInAnyPackage("io.nexs.postgres.copy..", "io.nexs.postgres.error..",
                    "io.nexs.postgres.execution..", "io.nexs.postgres.hook..", "io.nexs.postgres.notify..",
                    "io.nexs.postgres.pool..", "io.nexs.postgres.query..", "io.nexs.postgres.topology..",
                    "io.nexs.postgres.tx..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.nexs.postgres"));
    }

    @Test
    void theApiDoesNotDependOnTheObservers() {
        // observe reports on the provider, so the provider may not know it
        check(noClasses().that()
            .resideInAPackage("io.nexs.postgres")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.nexs.postgres.observe.."));
    }

    private static GivenClassesConjunction noCoreClass() {
        return noClasses().that()
            .resideInAPackage("io.nexs.postgres..")
            .and()
            .resideOutsideOfPackages("io.nexs.postgres.autoconfigure..", "io.nexs.postgres.test..");
    }

    private void check(ClassesShouldConjunction rule) {
        rule.check(this.classes);
    }

}
