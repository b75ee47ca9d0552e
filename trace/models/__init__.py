"""Models, one module per aggregate."""

from trace.models.account import AccountEvent
from trace.models.attachment import Attachment
from trace.models.batch import Batch, BatchLink
from trace.models.catalog import Category, CategoryTemplate, Product
from trace.models.compliance import ComplianceFinding
from trace.models.counter import LookupCount
from trace.models.device import Device, DeviceRefusal, Location
from trace.models.endorsement import BrandGrant, Certification, CertificationProduct, RegionalBrand
from trace.models.event import Event, EventBatch
from trace.models.feedback import Feedback
from trace.models.label import LabelRun, UnitCode
from trace.models.ledger import Checkpoint, LogEntry, LogHead, LogTile, SigningKey, WitnessCosignature
from trace.models.organization import ApiToken, Organization, User
from trace.models.recall import Recall, RecallAcknowledgement, RecallBatch
from trace.models.sensor import SensorMessage
from trace.models.statistics import OrganizationAid, PrivateValues, StatisticsCounter
from trace.models.township import OrganizationTownship, Township, Village

__all__ = [
    "AccountEvent",
    "ApiToken",
    "Attachment",
    "Batch",
    "BatchLink",
    "BrandGrant",
    "Category",
    "CategoryTemplate",
    "Certification",
    "CertificationProduct",
    "Checkpoint",
    "ComplianceFinding",
    "Device",
    "DeviceRefusal",
    "Event",
    "EventBatch",
    "Feedback",
    "LabelRun",
    "Location",
    "LogEntry",
    "LookupCount",
    "LogHead",
    "LogTile",
    "Organization",
    "OrganizationAid",
    "OrganizationTownship",
    "PrivateValues",
    "Product",
    "Recall",
    "RecallAcknowledgement",
    "RecallBatch",
    "RegionalBrand",
    "SensorMessage",
    "SigningKey",
    "StatisticsCounter",
    "Township",
    "UnitCode",
    "User",
    "Village",
    "WitnessCosignature",
]
