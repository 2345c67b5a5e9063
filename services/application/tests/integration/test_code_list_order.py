"""Issue 19 item 7: the wizard's code lists come in the reference data's own order (幼儿园 → 小学 →
初级中学…, subjects as the province lists them), not by internal code; a later import appends, and
rows stored before the order existed are put in the national list's order by migration 0006."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import tqr_application
from servicekit import db, migrations
from tqr.application.v1 import application_pb2
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM_ADMIN
from tqr_application.adapters import orm

MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"


async def test_code_lists_keep_the_imported_files_order(app, h):
    anyone = h.new_applicant().actor
    lists = await app.call(app.reference.ListCodeLists, application_pb2.ListCodeListsRequest(), anyone)
    # The fixture's files list 小学 before 初级中学 and 数学 before 语文: the codes sort the other way.
    assert [s.name for s in lists.teaching_stages] == ["小学", "初级中学"]
    assert [s.name for s in lists.subjects] == ["数学", "语文", "无"]
    assert [c.code for c in lists.certificate_types] == ["PRIMARY", "JUNIOR_SECONDARY"]


async def test_a_later_import_adds_its_rows_after_the_stored_list(app, h):
    centre = h.Actor(subject_id="centre-1", role=ROLE_SYSTEM_ADMIN)
    files = {"subjects.csv": "code,name\nPE,体育与健康\nART,美术\n",
             "teaching_stages.csv": "code,name\nKINDERGARTEN,幼儿园\n"}
    reply = await app.call(app.reference.ImportReferenceData,
                           application_pb2.ImportReferenceDataRequest(files=files), centre)
    assert reply.imported
    lists = await app.call(app.reference.ListCodeLists, application_pb2.ListCodeListsRequest(), centre)
    assert [s.code for s in lists.subjects] == ["MATH", "CHINESE", "NONE", "PE", "ART"]
    assert [s.code for s in lists.teaching_stages] == ["PRIMARY", "JUNIOR_SECONDARY", "KINDERGARTEN"]


async def test_migration_puts_stored_lists_in_the_national_order(db_url):
    migrations.upgrade(MIGRATIONS, db_url, "0005")
    engine = db.create_engine(db_url)
    stages = sa.table("teaching_stages", sa.column("code"), sa.column("name"))
    subjects = sa.table("subjects", sa.column("code"), sa.column("name"))
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(stages), [
                {"code": "JUNIOR_SECONDARY", "name": "初级中学"}, {"code": "KINDERGARTEN", "name": "幼儿园"},
                {"code": "PRIMARY", "name": "小学"}, {"code": "LOCAL_X", "name": "特殊教育"}])
            await connection.execute(sa.insert(subjects), [
                {"code": "ENGLISH", "name": "英语"}, {"code": "CHINESE", "name": "语文"},
                {"code": "MATH", "name": "数学"}, {"code": "A_LOCAL", "name": "书法"}])
        migrations.upgrade(MIGRATIONS, db_url, "head")
        async with engine.connect() as connection:
            staged = (await connection.execute(
                sa.select(orm.teaching_stages.c.code).order_by(orm.teaching_stages.c.position))).scalars().all()
            listed = (await connection.execute(
                sa.select(orm.subjects.c.code).order_by(orm.subjects.c.position))).scalars().all()
    finally:
        await engine.dispose()
    assert staged == ["KINDERGARTEN", "PRIMARY", "JUNIOR_SECONDARY", "LOCAL_X"]
    assert listed == ["CHINESE", "MATH", "ENGLISH", "A_LOCAL"]
