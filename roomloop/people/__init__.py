"""People: the accounts of teachers and staff, provisioned one at a time or by CSV.

Holds account provisioning and the CSV export (``accounts``), the all-or-nothing CSV
import (``csv_import``) and each person's choice of emails, with the unsubscribe links
(``notifications``). Every change writes its event to the outbox; disabling an account or
changing its role signs it out (``auth``).
"""

from .accounts import (
    create_account,
    export_accounts_csv,
    find_accounts,
    get_account,
    update_account,
    upsert_admin,
)
from .csv_import import import_accounts
from .notifications import (
    DIGEST_HOURS,
    notification_choices,
    unsubscribe,
    unsubscribe_target,
    update_notifications,
)

__all__ = [
    "DIGEST_HOURS",
    "create_account",
    "export_accounts_csv",
    "find_accounts",
    "get_account",
    "import_accounts",
    "notification_choices",
    "unsubscribe",
    "unsubscribe_target",
    "update_account",
    "update_notifications",
    "upsert_admin",
]
