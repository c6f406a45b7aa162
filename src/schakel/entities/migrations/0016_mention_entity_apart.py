# A mention's record (its values and provenance) and its entity in two tables that share the
# id: a batch run that moves 800,000 mentions then writes narrow rows instead of whole
# records (see models.Mention). Written by hand: Django's autodetector proposes dropping the
# mention's id and adding a new one, and does not see the change of base class.

import django.db.models.deletion
from django.db import migrations, models
from django.db.migrations.operations.base import Operation

#: The columns that move to the record, as they are in both tables.
RECORD_COLUMNS = (
    "id",
    "schema",
    "signal_id",
    "organisation_id",
    "stated_at",
    "source",
    "source_id",
    "role",
    "category",
    "original",
    "properties",
    "flags",
    "caption",
)


class InheritFrom(Operation):
    """Give a model in the migration state a new base (multi-table inheritance)."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, name, bases):
        self.name = name
        self.bases = bases

    def deconstruct(self):
        return (self.__class__.__name__, [], {"name": self.name, "bases": self.bases})

    def state_forwards(self, app_label, state):
        state.models[app_label, self.name.lower()].bases = self.bases
        state.reload_model(app_label, self.name.lower(), delay=True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"{self.name} inherits from {', '.join(map(str, self.bases))}"


def copy_records(apps, schema_editor):
    """Every mention's record into the new table, with its id."""
    names = ", ".join(RECORD_COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO entities_mentionrecord ({names}) SELECT {names} FROM entities_mention"
        )
        if schema_editor.connection.vendor == "postgresql":
            # New records continue after the ids the mentions had.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('entities_mentionrecord', 'id'), "
                "coalesce(max(id), 1), max(id) IS NOT NULL) FROM entities_mentionrecord"
            )


def narrow_mentions(apps, schema_editor):
    """The mention table keeps its id (now the record's, not a counter of its own) and its
    entity; other tables' keys to it stay as they are."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            dropped = ", ".join(f"DROP COLUMN {c}" for c in RECORD_COLUMNS if c != "id")
            cursor.execute(f"ALTER TABLE entities_mention {dropped}")
            cursor.execute("ALTER TABLE entities_mention ALTER COLUMN id DROP IDENTITY IF EXISTS")
            cursor.execute("ALTER TABLE entities_mention ALTER COLUMN id DROP DEFAULT")
            cursor.execute(
                "ALTER TABLE entities_mention ADD CONSTRAINT entities_mention_id_record_fk "
                "FOREIGN KEY (id) REFERENCES entities_mentionrecord (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
            # Dropped columns stay in the rows until they are written again: written once
            # now, narrow (and in the order of the ids).
            cursor.execute("CLUSTER entities_mention USING entities_mention_pkey")
            return
        # SQLite: a new table in place of the old (as Django remakes tables there; foreign
        # keys are not enforced during migrations, and others' keys name the table).
        cursor.execute(
            'CREATE TABLE "entities_mention__new" ('
            '"id" integer NOT NULL PRIMARY KEY REFERENCES "entities_mentionrecord" ("id") '
            "DEFERRABLE INITIALLY DEFERRED, "
            '"entity_id" bigint NULL)'
        )
        cursor.execute(
            'INSERT INTO "entities_mention__new" ("id", "entity_id") '
            'SELECT "id", "entity_id" FROM "entities_mention"'
        )
        cursor.execute('DROP TABLE "entities_mention"')
        cursor.execute('ALTER TABLE "entities_mention__new" RENAME TO "entities_mention"')
        cursor.execute(
            'CREATE INDEX "entities_mention_entity_id_b748099e" '
            'ON "entities_mention" ("entity_id")'
        )


class Migration(migrations.Migration):

    dependencies = [
        ('entities', '0015_linkage_columns_unchecked'),
        ('partners', '0001_initial'),
        ('signals', '0007_equality_indexes_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='MentionRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('schema', models.CharField(choices=[('Person', 'Person'), ('Company', 'Company'), ('Address', 'Address'), ('BankAccount', 'Bank account'), ('Vehicle', 'Vehicle')], max_length=32, verbose_name='type')),
                ('stated_at', models.DateTimeField(verbose_name='stated at')),
                ('source', models.CharField(choices=[('person', 'person'), ('company', 'company'), ('address', 'address'), ('identifier', 'identifier')], max_length=16)),
                ('source_id', models.BigIntegerField()),
                ('role', models.CharField(blank=True, max_length=32, verbose_name='role')),
                ('category', models.CharField(default='general', max_length=16)),
                ('original', models.JSONField(default=dict)),
                ('properties', models.JSONField(default=dict)),
                ('flags', models.JSONField(blank=True, default=list)),
                ('caption', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['pk'],
            },
        ),
        migrations.AddField(
            model_name='mentionrecord',
            name='organisation',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.organisation'),
        ),
        migrations.AddField(
            model_name='mentionrecord',
            name='signal',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='signals.signal'),
        ),
        migrations.RemoveConstraint(
            model_name='mention',
            name='mention_one_per_source',
        ),
        migrations.AddConstraint(
            model_name='mentionrecord',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='mention_one_per_source'),
        ),
        migrations.RunPython(copy_records, elidable=False),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(narrow_mentions, elidable=False)],
            state_operations=[
                migrations.RemoveField(model_name='mention', name='caption'),
                migrations.RemoveField(model_name='mention', name='category'),
                migrations.RemoveField(model_name='mention', name='flags'),
                migrations.RemoveField(model_name='mention', name='organisation'),
                migrations.RemoveField(model_name='mention', name='original'),
                migrations.RemoveField(model_name='mention', name='properties'),
                migrations.RemoveField(model_name='mention', name='role'),
                migrations.RemoveField(model_name='mention', name='schema'),
                migrations.RemoveField(model_name='mention', name='signal'),
                migrations.RemoveField(model_name='mention', name='source'),
                migrations.RemoveField(model_name='mention', name='source_id'),
                migrations.RemoveField(model_name='mention', name='stated_at'),
                migrations.RemoveField(model_name='mention', name='id'),
                InheritFrom(name='Mention', bases=('entities.mentionrecord',)),
                migrations.AddField(
                    model_name='mention',
                    name='record',
                    field=models.OneToOneField(db_column='id', default=None, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to='entities.mentionrecord'),
                    preserve_default=False,
                ),
            ],
        ),
        # The signal's mentions by their old name (signal.entity_mentions) once the old
        # column is gone.
        migrations.AlterField(
            model_name='mentionrecord',
            name='signal',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entity_mentions', to='signals.signal'),
        ),
    ]
