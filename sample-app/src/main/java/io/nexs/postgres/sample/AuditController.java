package io.nexs.postgres.sample;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The latest audited writes, from {@link AuditHook}.
 */
@RestController
class AuditController {

    private final AuditHook audit;

    AuditController(AuditHook audit) {
        this.audit = audit;
    }

    @GetMapping("/api/audit")
    List<AuditHook.AuditEntry> latest() {
        return this.audit.latest();
    }

}
