"""The explicit list of wardgate's own checks, and the catalogue of every rule it can report.

Adding a check: write `checks/domain/<name>.py` (one class, docs and examples inside) and add
it to ALL_CHECKS. tests/test_registry.py fails if a module is missing here or a code repeats.
"""
from __future__ import annotations

from functools import cache

from .base import Check
from .config_files import RULE as CONFIG_FILE_RULE
from .domain import (
    admin_action_too_weak,
    admin_url_without_admin_view,
    admitted_missing_access_check,
    anonymous_personal_data,
    anonymous_record_change,
    any_user_changes_accounts,
    audit_bypassing_write,
    audit_failure_swallowed,
    audit_log_deleted_with_user,
    audit_log_editable_in_admin,
    audit_row_on_shared_middleware,
    audit_trail_tampering,
    controlled_drug_without_witness,
    cookie_auth_without_csrf,
    credentials_in_url,
    csrf_protection_off,
    debug_pages_show_patient_data,
    dose_ignores_age_or_weight,
    error_mail_with_request_data,
    fixed_one_time_code,
    hardcoded_api_token,
    hardcoded_auth_password,
    hardcoded_database_password,
    hardcoded_secret_assignment,
    hardcoded_secret_key,
    ignored_permission_check,
    list_only_row_scope,
    lookup_past_the_parent,
    missing_sibling_guard,
    misspelled_access_setting,
    model_permission_bypass,
    model_permissions_open_reads,
    object_check_never_runs,
    open_rest_default,
    order_without_safety_check,
    orm_query_in_loop,
    owner_check_on_client_id,
    partial_phi_mask,
    patch_skips_update_permission,
    patient_change_on_get,
    permission_on_another_object,
    phi_copied_out_of_the_record,
    phi_in_exception,
    phi_in_log,
    phi_in_url_pattern,
    phi_sent_to_third_party,
    query_per_row_in_serializer,
    request_state_on_shared_middleware,
    request_token_in_source,
    role_fallthrough_rows,
    seeded_superuser,
    serializer_exposes_all_fields,
    skipped_authentication_check,
    unattached_log_mask,
    unaudited_patient_model,
    unauthenticated_account_change,
    unauthenticated_patient_view,
    unauthenticated_webhook,
    unauthorized_patient_write,
    unbounded_dose_calculation,
    unbounded_dose_field,
    unenforced_dose_limit,
    unrecorded_safety_override,
    unscoped_child_rows,
    unscoped_object_lookup,
    unscoped_related_field,
    untraced_patient_delete,
    unverified_jwt,
    uploads_served_without_login,
    write_handler_skips_check,
    write_without_audit_call,
)
from .env_files import RULE as ENV_FILE_RULE
from .finding import Category, Severity
from .internal import INTERNAL_RULES
from .rulemeta import RuleMeta, docs_url, is_own

ALL_CHECKS: tuple[type[Check], ...] = (
    # secret (WG1xx)
    hardcoded_secret_key.HardcodedSecretKey,
    hardcoded_database_password.HardcodedDatabasePassword,
    hardcoded_api_token.HardcodedApiToken,
    credentials_in_url.CredentialsInUrl,
    hardcoded_auth_password.HardcodedAuthPassword,
    hardcoded_secret_assignment.HardcodedSecretAssignment,
    seeded_superuser.SeededSuperuser,
    request_token_in_source.RequestTokenInSource,
    # dosage (WG4xx)
    unbounded_dose_calculation.UnboundedDoseCalculation,
    dose_ignores_age_or_weight.DoseIgnoresAgeOrWeight,
    unbounded_dose_field.UnboundedDoseField,
    unenforced_dose_limit.UnenforcedDoseLimit,
    order_without_safety_check.OrderWithoutSafetyCheck,
    controlled_drug_without_witness.ControlledDrugWithoutWitness,
    unrecorded_safety_override.UnrecordedSafetyOverride,
    # phi (WG5xx)
    phi_in_log.PhiInLog,
    phi_in_exception.PhiInException,
    phi_in_url_pattern.PhiInUrlPattern,
    serializer_exposes_all_fields.SerializerExposesAllFields,
    phi_sent_to_third_party.PhiSentToThirdParty,
    partial_phi_mask.PartialPhiMask,
    phi_copied_out_of_the_record.PhiCopiedOutOfTheRecord,
    unattached_log_mask.UnattachedLogMask,
    error_mail_with_request_data.ErrorMailWithRequestData,
    debug_pages_show_patient_data.DebugPagesShowPatientData,
    # audit trail (WG2xx)
    unaudited_patient_model.UnauditedPatientModel,
    audit_bypassing_write.AuditBypassingWrite,
    audit_trail_tampering.AuditTrailTampering,
    write_without_audit_call.WriteWithoutAuditCall,
    audit_failure_swallowed.AuditFailureSwallowed,
    untraced_patient_delete.UntracedPatientDelete,
    audit_log_deleted_with_user.AuditLogDeletedWithUser,
    audit_log_editable_in_admin.AuditLogEditableInAdmin,
    audit_row_on_shared_middleware.AuditRowOnSharedMiddleware,
    # permission (WG3xx)
    unauthenticated_patient_view.UnauthenticatedPatientView,
    unauthorized_patient_write.UnauthorizedPatientWrite,
    ignored_permission_check.IgnoredPermissionCheck,
    unauthenticated_account_change.UnauthenticatedAccountChange,
    anonymous_record_change.AnonymousRecordChange,
    missing_sibling_guard.MissingSiblingGuard,
    misspelled_access_setting.MisspelledAccessSetting,
    unauthenticated_webhook.UnauthenticatedWebhook,
    unscoped_object_lookup.UnscopedObjectLookup,
    model_permission_bypass.ModelPermissionBypass,
    patch_skips_update_permission.PatchSkipsUpdatePermission,
    patient_change_on_get.PatientChangeOnGet,
    owner_check_on_client_id.OwnerCheckOnClientId,
    lookup_past_the_parent.LookupPastTheParent,
    admitted_missing_access_check.AdmittedMissingAccessCheck,
    open_rest_default.OpenRestDefault,
    uploads_served_without_login.UploadsServedWithoutLogin,
    model_permissions_open_reads.ModelPermissionsOpenReads,
    list_only_row_scope.ListOnlyRowScope,
    fixed_one_time_code.FixedOneTimeCode,
    unverified_jwt.UnverifiedJwt,
    admin_action_too_weak.AdminActionTooWeak,
    write_handler_skips_check.WriteHandlerSkipsCheck,
    any_user_changes_accounts.AnyUserChangesAccounts,
    object_check_never_runs.ObjectCheckNeverRuns,
    csrf_protection_off.CsrfProtectionOff,
    unscoped_child_rows.UnscopedChildRows,
    skipped_authentication_check.SkippedAuthenticationCheck,
    unscoped_related_field.UnscopedRelatedField,
    permission_on_another_object.PermissionOnAnotherObject,
    anonymous_personal_data.AnonymousPersonalData,
    role_fallthrough_rows.RoleFallthroughRows,
    request_state_on_shared_middleware.RequestStateOnSharedMiddleware,
    admin_url_without_admin_view.AdminUrlWithoutAdminView,
    cookie_auth_without_csrf.CookieAuthWithoutCsrf,
    # quality (WG7xx)
    orm_query_in_loop.OrmQueryInLoop,
    query_per_row_in_serializer.QueryPerRowInSerializer,
)

REGISTRY: dict[str, type[Check]] = {c.code: c for c in ALL_CHECKS}


def check_meta(check: type[Check]) -> RuleMeta:
    return RuleMeta(
        id=check.code, name=check.name, category=check.category, severity=check.severity,
        tool="wardgate", summary=check.summary, doc=check.documentation(), cwe=check.cwe,
        hipaa=check.hipaa, confidence=check.confidence.value,
    )


@cache
def all_rules() -> dict[str, RuleMeta]:
    """Every documented rule: own checks, internal problems, wardgate's semgrep rules, tool families."""
    from .changes import ALL_CHANGE_RULES, change_meta  # change-aware rules (diff mode only)
    from .tools import tool_rules  # local: tool adapters import the registry's models

    rules: dict[str, RuleMeta] = {}
    for meta in (*INTERNAL_RULES, *(check_meta(c) for c in ALL_CHECKS), ENV_FILE_RULE, CONFIG_FILE_RULE,
                 *(change_meta(r) for r in ALL_CHANGE_RULES), *tool_rules()):
        rules[meta.id] = meta.model_copy(update={"help_uri": docs_url(meta.id)}) if is_own(meta.id) else meta
    return rules


def canonical_id(text: str) -> str | None:
    """A rule id as typed by a person, in any case: `wg101` -> `WG101`, `Bandit:b608` -> `bandit:B608`."""
    known = all_rules()
    text = text.strip()
    by_lower = {k.lower(): k for k in known}
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    tool, sep, code = text.partition(":")
    tool = tool.lower()
    if sep and code and f"{tool}:*" in known:
        return f"{tool}:{code if tool == 'semgrep' else code.upper()}"
    return None


def help_uri(rule_id: str, reported: str | None = None) -> str | None:
    """Where a rule is documented: wardgate's page for its own rules; for a tool's rule, the page
    the tool named with the finding (ruff's `url`, bandit's `more_info`), else the tool's docs."""
    meta = rule_for(rule_id)
    if is_own(rule_id):
        return docs_url(rule_id) if meta is not None else reported
    return reported or (meta.help_uri if meta is not None else None)


def rule_for(rule_id: str) -> RuleMeta | None:
    """Metadata for a rule id, including generated ids like `ruff:F401` or `bandit:B105`."""
    known = all_rules()
    if rule_id in known:
        return known[rule_id]
    tool, _, code = rule_id.partition(":")
    if code and f"{tool}:*" in known:
        family = known[f"{tool}:*"]
        return family.model_copy(update={"id": rule_id, "name": f"{tool}-{code.lower()}",
                                         "summary": f"{tool} rule {code}"})
    return None


def unknown_rule(rule_id: str, category: Category = Category.QUALITY) -> RuleMeta:
    return RuleMeta(id=rule_id, name=rule_id.replace(":", "-").lower(), category=category,
                    severity=Severity.MEDIUM, tool=rule_id.partition(":")[0] or "wardgate",
                    summary=rule_id)
