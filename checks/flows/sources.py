"""What starts a flow, by spelling (phase 1, no project model needed).

- A strong identifier read by name: `demographics.hospital_number`, `cleaned_data["nhs_number"]`,
  a variable or parameter called `date_of_birth` (vocabulary.STRONG_IDENTIFIERS + config).
- A PHI field of an object spelled as a patient (`patient.full_name`, `encounter.patient.mrn`).
- The whole request (`request.__dict__`: headers with session and Authorization tokens, query, body).
- The whole request body (`request.data`, `request.POST`, `request.body`): a leak only where it is logged.
- The request URL with its query string (`request.get_full_path()`), which carries identifiers only
  where the project reads them from query strings (`request.GET.get("hospital_number")`), recorded
  as evidence by the collector.
- A whole record (`x.__dict__`, `vars(x)`, `model_to_dict(x)`, `x.to_dict()`) of a patient object or of the
  `instance` of a signal receiver registered for every model.
- A parsed clinical message (`hl7.parse(raw)`, hl7apy's `parse_message`): its PID segment is the patient's
  identifiers and demographics, so the message logged or sent whole is a patient record.
- A DICOM dataset (`pydicom.dcmread(path)`, a parameter annotated `Dataset`): its patient module holds the
  patient's name, ID and birth date, and pydicom prints every element. One of those elements read by its DICOM
  keyword (`ds.PatientName`, `ds["PatientID"]`) is an identifier, whatever object it is read from.
The model-aware sources (fields of patient models, models whose `__str__` renders PHI) come from
the project model in phase 2 (analysis.py).
"""
from __future__ import annotations

import ast

PATIENT_SPELLINGS = frozenset({"patient", "pt", "current_patient", "the_patient"})
REQUEST_URL_METHODS = frozenset({"get_full_path", "get_full_path_info", "build_absolute_uri", "get_raw_uri"})
QUERY_ATTRS = frozenset({"GET", "query_params"})
BODY_ATTRS = frozenset({"body", "data", "POST", "REQUEST"})  # REQUEST: Django < 1.9, GET and POST merged
DUMP_FUNCS = frozenset({"vars", "model_to_dict"})
# Methods that return every field of their object (namedtuples, attrs/pydantic/dataclass-style helpers).
DUMP_METHODS = frozenset({"_asdict", "to_dict", "as_dict", "todict", "to_json", "model_dump", "model_dump_json"})
# Parsers of HL7 v2 messages (python-hl7, hl7apy): what they return holds a whole message, PID segment included.
CLINICAL_MESSAGE_PARSERS = frozenset({"hl7.parse", "hl7.parse_batch", "hl7.parse_file", "hl7.parse_hl7",
                                      "hl7.containers.Message", "hl7apy.parser.parse_message",
                                      "hl7apy.parser.parse_messages", "hl7apy.core.Message"})
# pydicom's readers and dataset classes: a DICOM object, patient module included.
DICOM_READERS = frozenset({"pydicom.dcmread", "pydicom.read_file", "pydicom.filereader.dcmread",
                           "pydicom.filereader.read_file", "pydicom.filereader.read_partial"})
DICOM_DATASETS = frozenset({"pydicom.Dataset", "pydicom.dataset.Dataset", "pydicom.FileDataset",
                            "pydicom.dataset.FileDataset"})
DICOM_WHY = "a DICOM dataset: its patient module holds the patient's name, ID and birth date"
# The DICOM keywords of the patient module's identifying attributes (PS3.3 C.7.1.1), spelled exactly as pydicom and
# DICOMweb JSON spell them: no other code spells an attribute `PatientBirthDate`.
DICOM_IDENTIFIERS = frozenset({"PatientName", "PatientID", "PatientBirthDate", "PatientBirthTime", "OtherPatientIDs",
                               "OtherPatientIDsSequence", "OtherPatientNames", "PatientBirthName",
                               "PatientMotherBirthName", "PatientAddress", "PatientTelephoneNumbers",
                               "MedicalRecordLocator", "PatientInsurancePlanCodeSequence"})
# A phone number held in a variable of its own: whose it is the code does not say, but written to a log, the
# console or an exception it is a person's identifier (HIPAA's fourth). Handed to the gateway that texts it, it
# only addresses the message, so other sinks ignore it (analysis._leak).
PHONE_NUMBERS = frozenset({"phone_number", "mobile_number", "telephone_number", "cellphone", "cell_number",
                           "phone_no", "mobile_no"})
PHONE_WHY = "a phone number"
NEVER = frozenset({"pk", "id", "uuid", "external_id", "_state", "__class__", "__name__", "_meta",
                   # the shape of a table, not its rows
                   "dtypes", "columns", "shape", "ndim"})


def spelled_patient(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    low = name.lower()
    return low in PATIENT_SPELLINGS or low.endswith("_patient")


def spelled_request(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("request", "req")
    return isinstance(node, ast.Attribute) and node.attr == "request"


def query_key(node: ast.AST) -> str | None:
    """`request.GET.get("k")`, `request.GET["k"]`, `request.query_params.get("k")` -> "k"."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist"):
        holder, key = node.func.value, node.args[0] if node.args else None
    elif isinstance(node, ast.Subscript):
        holder, key = node.value, node.slice
    else:
        return None
    if (isinstance(holder, ast.Attribute) and holder.attr in QUERY_ATTRS and spelled_request(holder.value)
            and isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return key.value
    return None
