from ledger.selectors import account_balance_from_entries
from tests.factories import BindingFactory, EmployeeFactory


def test_employee_factory_funds_the_personal_account_through_the_ledger(db):
    employee = EmployeeFactory(balance_fen=12_345)

    employee.account.refresh_from_db()
    assert employee.account.balance_fen == 12_345
    assert account_balance_from_entries(account=employee.account) == 12_345


def test_binding_factory_builds_distinct_people(db):
    binding = BindingFactory()

    assert binding.authorizer.person_id != binding.beneficiary.person_id
    assert binding.authorizer.person.id_number != binding.beneficiary.person.id_number
