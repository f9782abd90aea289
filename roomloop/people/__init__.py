"""People: the accounts of teachers and staff, provisioned one at a time or by CSV.

Holds account provisioning and the CSV export (``accounts``) and the all-or-nothing CSV
import (``csv_import``). Every change writes its event to the outbox; disabling an account
or changing its role signs it out (``auth``).
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

__all__ = [
    "create_account",
    "export_accounts_csv",
    "find_accounts",
    "get_account",
    "import_accounts",
    "update_account",
    "upsert_admin",
]
