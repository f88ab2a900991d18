"""Institutions, their terminals, e-vouchers, settlements, refunds and statement confirmations; written only by medical/migrations/sql/settlements.sql (0004), but for institutions and terminals (medical.services)."""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('insurees', '0004_enrollment_functions'),
        ('ledger', '0007_account_kind_payable'),
        ('medical', '0002_allowance_functions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Institution',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=128, verbose_name='name')),
                ('kind', models.CharField(choices=[('hospital', 'Hospital'), ('pharmacy', 'Pharmacy')], max_length=16, verbose_name='kind')),
                ('region_code', models.CharField(max_length=6, verbose_name='pooling region')),
                ('status', models.CharField(choices=[('active', 'Active'), ('inactive', 'Inactive')], default='active', max_length=16, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('account', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.account')),
            ],
            options={
                'verbose_name': 'designated institution',
                'verbose_name_plural': 'designated institutions',
            },
        ),
        migrations.CreateModel(
            name='InstitutionTerminal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='terminals', to='medical.institution')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='terminal', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'institution terminal',
                'verbose_name_plural': 'institution terminals',
            },
        ),
        migrations.CreateModel(
            name='Settlement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('settlement_id', models.CharField(max_length=64, verbose_name='settlement id')),
                ('idempotency_key', models.CharField(blank=True, max_length=255, verbose_name='idempotency key')),
                ('category', models.CharField(choices=[('outpatient', 'Outpatient care'), ('inpatient', 'Inpatient care'), ('drugs', 'Drugs'), ('devices', 'Medical devices'), ('consumables', 'Medical consumables'), ('wellness', 'Wellness (养生保健)'), ('public_health', 'Public health')], max_length=16, verbose_name='category')),
                ('amount_fen', models.BigIntegerField(verbose_name='amount (fen)')),
                ('paid_fen', models.BigIntegerField(verbose_name='paid from the allowance (fen)')),
                ('cash_due_fen', models.BigIntegerField(verbose_name='cash due (fen)')),
                ('refunded_fen', models.BigIntegerField(default=0, verbose_name='refunded (fen)')),
                ('status', models.CharField(choices=[('settled', 'Settled'), ('reversed', 'Reversed')], default='settled', max_length=16, verbose_name='status')),
                ('business_date', models.DateField(verbose_name='business date')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('reversed_at', models.DateTimeField(blank=True, null=True, verbose_name='reversed at')),
                ('reversed_on', models.DateField(blank=True, null=True, verbose_name='reversed on')),
                ('reversal_key', models.CharField(blank=True, max_length=255, verbose_name='reversal idempotency key')),
                ('allowance', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='settlements', to='medical.allowance')),
                ('authorizer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurees.insuree')),
                ('beneficiary', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurees.insuree')),
                ('institution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='medical.institution')),
                ('ledger_transaction', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.transaction')),
                ('reversal_transaction', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.transaction')),
                ('reversal_user', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'settlement',
                'verbose_name_plural': 'settlements',
            },
        ),
        migrations.CreateModel(
            name='SettlementRefund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('refund_id', models.CharField(max_length=64, verbose_name='refund id')),
                ('idempotency_key', models.CharField(blank=True, max_length=255, verbose_name='idempotency key')),
                ('amount_fen', models.BigIntegerField(verbose_name='amount (fen)')),
                ('to_allowance', models.BooleanField(verbose_name='back into the allowance')),
                ('business_date', models.DateField(verbose_name='business date')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('institution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='medical.institution')),
                ('ledger_transaction', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.transaction')),
                ('settlement', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='medical.settlement')),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'settlement refund',
                'verbose_name_plural': 'settlement refunds',
            },
        ),
        migrations.CreateModel(
            name='StatementConfirmation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='date')),
                ('their_count', models.IntegerField(verbose_name='their count')),
                ('their_amount_fen', models.BigIntegerField(verbose_name='their amount (fen)')),
                ('our_count', models.IntegerField(verbose_name='our count')),
                ('our_amount_fen', models.BigIntegerField(verbose_name='our amount (fen)')),
                ('matched', models.BooleanField(verbose_name='matched')),
                ('confirmed_at', models.DateTimeField(verbose_name='confirmed at')),
                ('institution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='medical.institution')),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'statement confirmation',
                'verbose_name_plural': 'statement confirmations',
            },
        ),
        migrations.CreateModel(
            name='Voucher',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_sha256', models.CharField(max_length=64, unique=True, verbose_name='code (SHA-256)')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='used at')),
                ('used_for', models.CharField(blank=True, max_length=64, verbose_name='used for settlement')),
                ('refusal', models.CharField(blank=True, max_length=32, verbose_name='refusal')),
                ('refusal_detail', models.CharField(blank=True, max_length=64, verbose_name='refusal detail')),
                ('beneficiary', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='insurees.insuree')),
                ('used_by', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='medical.institution')),
            ],
            options={
                'verbose_name': 'e-voucher',
                'verbose_name_plural': 'e-vouchers',
            },
        ),
        migrations.AddField(
            model_name='settlement',
            name='voucher',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='settlement', to='medical.voucher'),
        ),
        migrations.AddConstraint(
            model_name='institution',
            constraint=models.CheckConstraint(condition=models.Q(('region_code__regex', '^[0-9]{6}$')), name='institution_region_code'),
        ),
        migrations.AddIndex(
            model_name='settlementrefund',
            index=models.Index(fields=['settlement', 'created_at'], name='refund_settlement'),
        ),
        migrations.AddIndex(
            model_name='settlementrefund',
            index=models.Index(fields=['institution', 'business_date'], include=('amount_fen',), name='refund_institution_day'),
        ),
        migrations.AddConstraint(
            model_name='settlementrefund',
            constraint=models.UniqueConstraint(fields=('institution', 'refund_id'), name='one_refund_per_institution_id'),
        ),
        migrations.AddConstraint(
            model_name='settlementrefund',
            constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('user', 'idempotency_key'), name='one_refund_per_key'),
        ),
        migrations.AddConstraint(
            model_name='settlementrefund',
            constraint=models.CheckConstraint(condition=models.Q(('amount_fen__gt', 0)), name='refund_amount_positive'),
        ),
        migrations.AddIndex(
            model_name='statementconfirmation',
            index=models.Index(fields=['date', 'matched'], name='confirmation_day'),
        ),
        migrations.AddConstraint(
            model_name='statementconfirmation',
            constraint=models.UniqueConstraint(fields=('institution', 'date'), name='one_confirmation_per_institution_day'),
        ),
        migrations.AddIndex(
            model_name='voucher',
            index=models.Index(condition=models.Q(('used_at__isnull', True)), fields=['beneficiary', 'expires_at'], name='voucher_beneficiary_live'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(('expires_at__gt', models.F('created_at'))), name='voucher_expires_after_issue'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('used_at__isnull', True), ('used_by__isnull', True), ('used_for', '')), models.Q(('used_at__isnull', False), ('used_by__isnull', False), models.Q(('used_for', ''), _negated=True)), _connector='OR'), name='voucher_used_by_one_settlement'),
        ),
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(fields=['institution', 'business_date'], include=('paid_fen',), name='settlement_institution_day'),
        ),
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(condition=models.Q(('status', 'reversed')), fields=['institution', 'reversed_on'], include=('paid_fen',), name='settlement_reversed_day'),
        ),
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(fields=['allowance', 'created_at'], name='settlement_allowance'),
        ),
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(fields=['authorizer', 'created_at'], name='settlement_authorizer'),
        ),
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(fields=['beneficiary', 'created_at'], name='settlement_beneficiary'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.UniqueConstraint(fields=('institution', 'settlement_id'), name='one_settlement_per_institution_id'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('user', 'idempotency_key'), name='one_settlement_per_key'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.CheckConstraint(condition=models.Q(('paid_fen__gt', 0)), name='settlement_paid_positive'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.CheckConstraint(condition=models.Q(('cash_due_fen__gte', 0)), name='settlement_cash_due_non_negative'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.CheckConstraint(condition=models.Q(('amount_fen', django.db.models.expressions.CombinedExpression(models.F('paid_fen'), '+', models.F('cash_due_fen')))), name='settlement_paid_and_cash_make_amount'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.CheckConstraint(condition=models.Q(('refunded_fen__gte', 0), ('refunded_fen__lte', models.F('paid_fen'))), name='settlement_refunded_within_paid'),
        ),
        migrations.AddConstraint(
            model_name='settlement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('reversed_at__isnull', True), ('reversed_on__isnull', True), ('status', 'settled')), models.Q(('refunded_fen', 0), ('reversal_transaction__isnull', False), ('reversed_at__isnull', False), ('reversed_on', models.F('business_date')), ('status', 'reversed')), _connector='OR'), name='settlement_reversed_same_day_whole'),
        ),
    ]
