"""Common Cartridge test tools: every XML file of a cartridge checked against the official
IMS CC schemas (XSD and the Schematron rules embedded in them), and the files it refers to.

The schemas are the copies in tests/schemas/cc/ (README.md there says where they come from;
the same files as the repository's ../shared/cc-schemas). Their remote ``schemaLocation``s
are mapped to those files by an lxml resolver: nothing is fetched. CC 1.3's LOM,
authorization and curriculum-standards schemas are stand-ins (stubs/) that accept any
content, so LOM metadata is checked in CC 1.1 only.
"""

from __future__ import annotations

import copy
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree, isoschematron

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "cc"
XS = "http://www.w3.org/2001/XMLSchema"
# remote schema file name -> the local file that stands for it
STANDINS = {
    "xml.xsd": SCHEMAS / "cc11" / "xml.xsd",
    "ccv1p3_imsccauth_v1p3.xsd": SCHEMAS / "stubs" / "cc13_ccauth_stub.xsd",
    "ccv1p3_lommanifest_v1p0.xsd": SCHEMAS / "stubs" / "cc13_lom_manifest_stub.xsd",
    "ccv1p3_lomresource_v1p0.xsd": SCHEMAS / "stubs" / "cc13_lom_resource_stub.xsd",
    "ccv1p3_imscsmd_v1p0.xsd": SCHEMAS / "stubs" / "cc13_csmd_stub.xsd",
}
# root element namespace -> (folder, schema file) per kind of file
SCHEMA_FILES = {
    "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1": "cc13/ccv1p3_imscp_v1p2_v1p0.xsd",
    "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1": "cc11/ccv1p1_imscp_v1p2_v1p0.xsd",
    "http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3": "cc13/ccv1p3_imsdt_v1p3.xsd",
    "http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1": "cc11/ccv1p1_imsdt_v1p1.xsd",
    "http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3": "cc13/ccv1p3_imswl_v1p3.xsd",
    "http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1": "cc11/ccv1p1_imswl_v1p1.xsd",
}
QTI = {"1.3": "cc13/ccv1p3_qtiasiv1p2p1_v1p0.xsd", "1.1": "cc11/ccv1p1_qtiasiv1p2p1_v1p0.xsd"}
QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
SVRL = "http://purl.oclc.org/dsdl/svrl"


class _Standins(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        name = system_url.rsplit("/", 1)[-1]
        if system_url.startswith("http") and name in STANDINS:
            return self.resolve_filename(str(STANDINS[name]), context)
        return None


def _parse_schema_doc(relative: str) -> etree._ElementTree:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Standins())
    return etree.parse(str(SCHEMAS / relative), parser)


@cache
def xsd(relative: str) -> etree.XMLSchema:
    return etree.XMLSchema(_parse_schema_doc(relative))


@cache
def schematron(relative: str) -> isoschematron.Schematron:
    """The Schematron rules embedded in an IMS schema (lxml extracts them from the XSD's
    annotations). The rules predate ISO Schematron's schema, so the rule document itself
    is not validated; the imports are dropped first, as the extraction step would try
    to follow them."""
    doc = copy.deepcopy(_parse_schema_doc(relative))
    for imported in doc.getroot().findall(f"{{{XS}}}import"):
        doc.getroot().remove(imported)
    return isoschematron.Schematron(doc, validate_schema=False, store_report=True)


def schema_for(root: etree._Element, version: str) -> str:
    namespace = etree.QName(root).namespace or ""
    if namespace == QTI_NS:
        return QTI[version]
    return SCHEMA_FILES[namespace]


def validate_xml(data: bytes, version: str) -> list[str]:
    """XSD and Schematron errors of one cartridge XML file ("line: message"); []: valid."""
    root = etree.fromstring(data)
    relative = schema_for(root, version)
    errors: list[str] = []
    schema = xsd(relative)
    if not schema.validate(root):
        errors += [f"{e.line}: {e.message}" for e in schema.error_log]
    rules = schematron(relative)
    if not rules.validate(root):
        report = rules.validation_report
        errors += [" ".join("".join(t.itertext()).split()) for t in report.iter(f"{{{SVRL}}}text")]
    return errors


@dataclass
class Cartridge:
    version: str  # "1.3" or "1.1"
    files: dict[str, bytes]

    @property
    def manifest(self) -> etree._Element:
        return etree.fromstring(self.files["imsmanifest.xml"])


def read_cartridge(path: Path) -> Cartridge:
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(files["imsmanifest.xml"])
    version = "1.3" if "imsccv1p3" in (etree.QName(root).namespace or "") else "1.1"
    return Cartridge(version, files)


def validate_cartridge(cartridge: Cartridge) -> dict[str, list[str]]:
    """Every XML file of the cartridge (the manifest and each QTI, discussion and web link
    file) with its errors; a file without errors maps to []."""
    found: dict[str, list[str]] = {}
    for name, data in sorted(cartridge.files.items()):
        if name.endswith(".xml"):
            found[name] = validate_xml(data, cartridge.version)
    return found
