"""The clinical domain vocabulary: what counts as patient data, audit, authorization, limits.

Defaults cover common hospital Django code; `[tool.wardgate.domain]` extends them (lists are
added to the defaults, never replace them, so a config cannot silently switch a rule off).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PATIENT_MODEL_WORDS = (
    "patient", "paciente", "paziente", "prontuario", "historiaclinica", "encounter", "admission", "discharge", "appointment", "referral",
    "prescription", "medicationorder", "medicationrequest", "medicationadministration",
    "labresult", "labreport", "labtest", "labrequest", "observation", "vitalsign", "vitals",
    "diagnosis", "allergy", "immunization", "vaccination", "clinicalnote", "progressnote",
    "consultation", "careplan", "dailyround", "medicalrecord", "healthrecord", "triage",
    "nursingnote", "insurance", "pregnancy", "symptom", "investigationvalue", "sampletest",
)
# Catalogue/lookup models named after clinical things hold no patient data on their own.
CATALOGUE_SUFFIXES = (
    "type", "types", "category", "template", "catalog", "catalogue", "master", "code", "codes",
    "kind", "status", "choice", "choices", "definition", "config", "setting", "settings", "unit",
    "group", "form", "question", "questionnaire",
    # Schemas and lookups named after a patient attribute (`PatientProjectsFields`, `PatientSex`): the values live
    # on the patient's own rows.
    "field", "fields", "sex", "gender", "project", "projects",
    # Places and bookable times (`ConsultationRoom`, `AppointmentSlot`): patient data only through a link to a patient.
    "room", "rooms", "slot", "slots",
)
# Credentials that merely carry a patient's name prefix (`PatientMobileOTP`, `PatientAccessToken`):
# login artefacts, not clinical records; the secret rules cover them.
CREDENTIAL_SUFFIXES = ("otp", "token", "onetimepassword", "verificationcode")

# Hospital code is written in its team's language: birth dates and national or record identifiers in Spanish,
# Portuguese, French, German and Italian (Argentina's DNI, Brazil's CPF, a cédula, a historia clínica number).
BIRTH_DATES = ("fecha_nacimiento", "fecha_de_nacimiento", "data_nascimento", "data_de_nascimento", "date_naissance",
               "date_de_naissance", "geburtsdatum", "data_nascita", "data_di_nascita")
NATIONAL_IDS = ("dni", "cpf", "cedula", "rut", "numero_documento", "nro_documento", "numero_de_documento",
                "historia_clinica", "numero_historia_clinica", "prontuario", "numero_prontuario",
                # France's social-security number (NIR, "numéro de sécu"), Italy's codice fiscale, Belgium's NISS
                "nir", "numero_securite_sociale", "num_secu", "codice_fiscale", "niss")

DEFAULT_PHI_FIELDS = (
    "name", "full_name", "first_name", "last_name", "middle_name", "given_name", "family_name",
    "surname", "maiden_name", "patient_name", "display_name", "preferred_name", "nickname", "date_of_birth", "dob", "birth_date", "birthdate",
    "ssn", "social_security_number", "national_id", "nhs_number", "aadhar", "aadhaar",
    "passport_number", "mrn", "medical_record_number", "address", "address_line1",
    "address_line2", "street", "postal_code", "zip", "zip_code", "pincode", "phone",
    "phone_number", "mobile", "mobile_number", "emergency_phone_number", "contact_phone",
    "email", "insurance_number", "member_id", "policy_number", "diagnosis", "diagnosis_code",
    "clinical_notes", "notes", "chief_complaint", "health_id", "abha_number",
    # Synonyms seen in real hospital code: an MRN by another name, UK/MX postcodes and national ids.
    "hospital_number", "hospital_no", "patient_number", "postcode", "post_code", "curp",
    # Radiology: the accession number identifies one patient's imaging study (DICOM PS3.15 removes it).
    "accession_number",
    # US Medicare's beneficiary identifiers; a subscriber's phone number as telecoms name it; national id numbers.
    "mbi", "hicn", "medicare_number", "msisdn", "id_number",
    # Provincial and national health-card numbers: Quebec's RAMQ, Ontario's OHIP, Scotland's CHI, New Zealand's
    # NHI, Australia's IHI, British Columbia's PHN.
    "ramq", "ramq_number", "ohip_number", "health_card_number", "chi_number", "nhi_number", "ihi_number", "phn",
    # Clinical trials identify a participant by initials with the subject identifier, sex and birth date (GCP CRFs).
    "initials",
    # The same in other languages: names, phone numbers and addresses.
    *BIRTH_DATES, *NATIONAL_IDS,
    "nombre", "nombres", "apellido", "apellidos", "nombre_completo", "nome", "sobrenome", "nome_completo",
    "prenom", "nom_de_famille", "vorname", "nachname", "cognome",
    "telefono", "telefone", "celular", "direccion", "domicilio", "endereco",
)
# Health-card numbers name one patient on their own, like an NHS number.
_HEALTH_CARDS = frozenset({"ramq", "ramq_number", "ohip_number", "health_card_number", "chi_number", "nhi_number",
                           "ihi_number", "phn"})
# Identifiers that name a patient on their own: a bare variable or dict key spelled like one is
# treated as carrying it (flows, checks/flows/); generic words (`name`, `email`, `notes`) are not, nor
# postcodes (hospitals and GP practices have them too: a patient's postcode is a field of a patient model).
STRONG_IDENTIFIERS = frozenset({
    "mrn", "medical_record_number", "hospital_number", "hospital_no", "patient_number", "nhs_number",
    "ssn", "social_security_number", "national_id", "passport_number", "insurance_number", "health_id",
    "abha_number", "aadhar", "aadhaar", "curp", "date_of_birth", "dob", "birth_date", "birthdate",
    "patient_name", "patient_full_name", "accession_number", "msisdn", *BIRTH_DATES, *NATIONAL_IDS,
}) | _HEALTH_CARDS | {
    # A field spelled as the patient's (`patient_first_name`, `PatientColumns.PATIENT_EMAIL`): the prefix says whose.
    f"patient_{f}" for f in DEFAULT_PHI_FIELDS if not f.startswith("patient")}

DEFAULT_AUDIT_BASES: tuple[str, ...] = ()
DEFAULT_AUDIT_DECORATORS: tuple[str, ...] = ()


class Vocabulary(BaseModel):
    """`[tool.wardgate.domain]`: names are model/class names or dotted qualified names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_models: list[str] = Field(default_factory=list, description="Model names holding patient data")
    not_patient_models: list[str] = Field(default_factory=list, description="Models never treated as patient data")
    phi_fields: list[str] = Field(default_factory=list, description="Field names that identify a patient")
    audit_base_classes: list[str] = Field(default_factory=list, description="Model bases that add an audit trail")
    audit_decorators: list[str] = Field(default_factory=list, description="Class decorators that register auditing")
    permission_decorators: list[str] = Field(default_factory=list, description="View decorators that authorize")
    permission_mixins: list[str] = Field(default_factory=list, description="CBV mixins that authorize")
    permission_classes: list[str] = Field(default_factory=list, description="DRF permission classes that authorize")
    authentication_decorators: list[str] = Field(default_factory=list, description="Decorators that only authenticate")
    login_required_middleware: list[str] = Field(default_factory=list, description="Middleware requiring login")
    dose_limit_helpers: list[str] = Field(default_factory=list, description="Functions that cap/limit a dose")
    safety_check_functions: list[str] = Field(default_factory=list, description="Allergy/interaction checks")
    third_party_hosts_allowed: list[str] = Field(default_factory=list, description="Hosts that may receive PHI")
    # Controlled substances (checks/facts/controlled_drugs.py has the defaults these extend).
    controlled_drug_models: list[str] = Field(default_factory=list, description="Models whose rows are controlled drugs")
    controlled_drug_fields: list[str] = Field(default_factory=list, description="Drug fields marking one controlled")
    witness_fields: list[str] = Field(default_factory=list, description="Fields/keywords recording a witness")
    witness_checks: list[str] = Field(default_factory=list, description="Functions checking/recording a witness")
    override_reason_fields: list[str] = Field(default_factory=list, description="Fields recording an override's reason")
    override_audit: list[str] = Field(default_factory=list, description="Fields/functions recording who overrode")
    phi_sanitisers: list[str] = Field(default_factory=list, description="Functions that mask, hash or pseudonymise PHI")
    bookkeeping_fields: list[str] = Field(default_factory=list,
                                          description="Derived/denormalised fields whose writes need no audit entry")

    def patient_model_words(self) -> tuple[str, ...]:
        return DEFAULT_PATIENT_MODEL_WORDS

    def strong_identifiers(self) -> frozenset[str]:
        return STRONG_IDENTIFIERS | {f.lower() for f in self.phi_fields}

    def phi_field_names(self) -> frozenset[str]:
        return frozenset(DEFAULT_PHI_FIELDS) | {f.lower() for f in self.phi_fields}
