package io.nexs.postgres;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
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
        ArchRule rule = noClasses().that()
            .resideInAPackage("io.nexs.postgres..")
            .and()
            .resideOutsideOfPackage("io.nexs.postgres.autoconfigure..")
            .and()
            .resideOutsideOfPackage("io.nexs.postgres.test..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.springframework.boot..");
        rule.check(this.classes);
    }

    @Test
    void coreDoesNotDependOnTheAutoConfiguration() {
        noClasses().that()
            .resideInAPackage("io.nexs.postgres..")
            .and()
            .resideOutsideOfPackage("io.nexs.postgres.autoconfigure..")
            .and()
            .resideOutsideOfPackage("io.nexs.postgres.test..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("io.nexs.postgres.autoconfigure..")
            .check(this.classes);
    }

}
