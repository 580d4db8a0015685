"""Personal data under UU 27/2022 (PDP) as the inventory declares it (``privacy:``): the
controller, its data protection officer and how long each class of data is kept."""

from __future__ import annotations

from pydantic import Field, model_validator

from netops.inventory.records import Record, Seconds


class DataProtectionOfficer(Record):
    """The data protection officer (Pejabat Pelindungan Data Pribadi, UU 27/2022 art. 53):
    whom citizens and the regulator contact about personal data."""

    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    address: str | None = None


DAY = 86_400


class Retention(Record):
    """How long each class of personal data is kept (UU 27/2022 art. 16(2): no longer than
    its purpose needs). ``netops privacy purge`` deletes what is older."""

    accounting_sessions: Seconds = Field(
        default=365 * DAY, description="Usage records (sessions): reports and quotas."
    )
    connection_records: Seconds = Field(
        default=90 * DAY,
        description="Who had which address when (client IP, device pseudonym of a session).",
    )
    subscriber_accounts: Seconds = Field(
        default=365 * DAY, description="Registered accounts with no login for this long."
    )
    vouchers: Seconds = Field(default=90 * DAY, description="Vouchers after expiry/revocation.")
    clickthroughs: Seconds = Field(
        default=30 * DAY, description="Click-through allowances after they expire."
    )
    operator_audit: Seconds = Field(
        default=730 * DAY, description="Operator audit and data subject request records."
    )

    @model_validator(mode="after")
    def _connections_within_sessions(self) -> Retention:
        if self.connection_records > self.accounting_sessions:
            raise ValueError(
                "connection_records is longer than accounting_sessions: the sessions that "
                "hold the connection records would be deleted first"
            )
        return self


class Privacy(Record):
    """Personal data under UU 27/2022 (PDP): the controller, its data protection officer, how
    long each data class is kept and the deadline for a data subject's request."""

    controller: str
    dpo: DataProtectionOfficer
    retention: Retention = Retention()
    request_deadline: Seconds = Field(
        default=3 * DAY,
        description="Time to answer an access, correction or deletion request (3×24 h).",
    )
