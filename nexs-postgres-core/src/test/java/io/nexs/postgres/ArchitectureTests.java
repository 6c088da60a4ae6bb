package io.nexs.postgres;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The shape of the core. The build keeps it free of Spring Boot (Boot is not on its class path); these rules keep
 * its packages in layers, so that dependencies point down: observers, the API, COPY, the execution path,
 * transactions, hooks, the topology, then pools, row mapping and errors (the table in docs/architecture.md).
 */
class ArchitectureTests {

    private static final String ROOT = "io.nexs.postgres";

    private final JavaClasses classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages(ROOT);

    @Test
    void packagesAreFreeOfCycles() {
        check(slices().assignedFrom(new TopLevelPackages()).should().beFreeOfCycles());
    }

    @Test
    void packagesBelowTheApiDoNotDependOnIt() {
        // observe is above the API: its meters and safety monitor read the provider
        check(noClasses().that()
            .resideOutsideOfPackages(ROOT, ROOT + ".observe..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(ROOT));
    }

    @Test
    void theApiDoesNotDependOnTheObservers() {
        // observe reports on the provider, so the provider may not know it
        check(noClasses().that()
            .resideInAPackage(ROOT)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(ROOT + ".observe.."));
    }

    @Test
    void poolsKnowNothingOfRoles() {
        // the topology builds on the pools; the reverse would be a package cycle
        check(noClasses().that()
            .resideInAPackage(ROOT + ".pool..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(ROOT + ".topology.."));
    }

    private void check(ArchRule rule) {
        rule.check(this.classes);
    }

    /** One slice per package right below {@code io.nexs.postgres}, and one for that package itself. */
    private static final class TopLevelPackages implements SliceAssignment {

        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String name = javaClass.getPackageName();
            if (name.equals(ROOT)) {
                return SliceIdentifier.of("api");
            }
            if (!name.startsWith(ROOT + ".")) {
                return SliceIdentifier.ignore();
            }
            String rest = name.substring(ROOT.length() + 1);
            int dot = rest.indexOf('.');
            return SliceIdentifier.of(dot < 0 ? rest : rest.substring(0, dot));
        }

        @Override
        public String getDescription() {
            return "the packages of " + ROOT;
        }

    }

}
