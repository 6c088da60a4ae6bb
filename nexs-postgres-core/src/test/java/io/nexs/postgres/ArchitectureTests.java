package io.nexs.postgres;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.elements.ClassesShouldConjunction;
import com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The core must stay free of Spring Boot, so that splitting it into a jar of its own is a move of files.
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
    void poolsKnowNothingOfRoles() {
        // the topology builds on the pools; the reverse would be a package cycle
        check(noClasses().that()
            .resideInAPackage("io.nexs.postgres.pool..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.nexs.postgres.topology.."));
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
