"""The tables as SQLAlchemy Core ``Table`` objects, for readers that need no table classes.

Written by ``python -m tests.core_tables --update`` from the table classes (``assess.models``) and
checked against them by the suite: do not edit by hand. Columns keep their names, types, primary
keys and nullability; constraints, indexes and triggers live with the classes and the migrations.
Importing this module loads ``sqlalchemy`` only (see docs/architecture.md, "只读命令").
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


accountabilityentry = Table(
    "accountabilityentry",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer()),
    Column("cadre_id", Integer()),
    Column("rule_code", String(64), nullable=False),
    Column("rule_text", Text(), nullable=False),
    Column("figures", JSON(), nullable=False),
    Column("proposed_action", String(128), nullable=False),
    Column("robust_share", Float()),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("reason", Text()),
)


adjustment = Table(
    "adjustment",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("points", Float(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("source", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


annualround = Table(
    "annualround",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("sources", JSON(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("display_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("unit_code", String(32)),
)


appraisalsession = Table(
    "appraisalsession",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("form_code", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("held_on", Date()),
    Column("expected", Integer(), nullable=False),
    Column("present", Integer(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("notes", Text()),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


appraisaltarget = Table(
    "appraisaltarget",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("unit_id", Integer()),
    Column("cadre_id", Integer()),
)


approvalvote = Table(
    "approvalvote",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("expected_members", Integer(), nullable=False),
    Column("present", Integer(), nullable=False),
    Column("yes", Integer(), nullable=False),
    Column("no", Integer(), nullable=False),
    Column("abstain", Integer(), nullable=False),
    Column("passed", Boolean(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


audithead = Table(
    "audithead",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("seq", Integer(), nullable=False),
    Column("hash", String(64), nullable=False),
)


auditrecord = Table(
    "auditrecord",
    metadata,
    Column("seq", Integer(), primary_key=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("payload", JSON(), nullable=False),
)


ballot = Table(
    "ballot",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("batch_id", Integer(), nullable=False),
    Column("ballot_no", Integer(), nullable=False),
    Column("status", String(8), nullable=False),
    Column("marks", String(512), nullable=False),
)


ballotbatch = Table(
    "ballotbatch",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("voter_group", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("source", String(16), nullable=False),
    Column("issued", Integer(), nullable=False),
    Column("returned", Integer(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("void_reason", Text()),
    Column("certified_by", String(64)),
    Column("certified_at", DateTime(timezone=True)),
)


ballotresolution = Table(
    "ballotresolution",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("batch_id", Integer(), nullable=False),
    Column("ballot_no", Integer(), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("value", String(8), nullable=False),
    Column("resolved_by", String(64), nullable=False),
)


blacklistentry = Table(
    "blacklistentry",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("subject_kind", String(16), nullable=False),
    Column("name", String(128), nullable=False),
    Column("unit_id", Integer()),
    Column("cadre_id", Integer()),
    Column("reason", Text(), nullable=False),
    Column("basis", String(128)),
    Column("entered_on", Date(), nullable=False),
    Column("exit_on", Date()),
    Column("exit_reason", Text()),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("exited_by", String(64)),
)


cadre = Table(
    "cadre",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("position", String(128), nullable=False),
    Column("risk_level", String(1)),
    Column("active", Boolean(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


cadrepledge = Table(
    "cadrepledge",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("cadre_id", Integer(), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("text", Text(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


cadrequestion = Table(
    "cadrequestion",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("cadre_id", Integer(), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("question", Text(), nullable=False),
    Column("answer", Text()),
)


cadreresult = Table(
    "cadreresult",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("session_id", Integer(), nullable=False),
    Column("cadre_id", Integer(), nullable=False),
    Column("score", Float()),
    Column("grade", String(16), nullable=False),
    Column("counts", JSON(), nullable=False),
    Column("flags", JSON(), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)


cadrestatement = Table(
    "cadrestatement",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("cadre_id", Integer(), nullable=False),
    Column("summary", Text(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


deptscore = Table(
    "deptscore",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("value", Float(), nullable=False),
    Column("note", Text()),
    Column("scorer", String(32), nullable=False),
    Column("entered_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


disciplineaction = Table(
    "disciplineaction",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer()),
    Column("unit_id", Integer()),
    Column("cadre_id", Integer()),
    Column("kind", String(32), nullable=False),
    Column("note", Text()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


entrypass = Table(
    "entrypass",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("batch_id", Integer(), nullable=False),
    Column("pass_no", Integer(), nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("valid", Integer(), nullable=False),
    Column("void", Integer(), nullable=False),
    Column("blank", Integer(), nullable=False),
)


exemption = Table(
    "exemption",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_note", Text()),
)


finding = Table(
    "finding",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("indicator_code", String(32)),
    Column("description", Text(), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("corrects_id", Integer()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


indicator = Table(
    "indicator",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("scheme_version_id", Integer(), nullable=False),
    Column("code", String(32), nullable=False),
    Column("parent_code", String(32)),
    Column("level", Integer(), nullable=False),
    Column("sort_order", Integer(), nullable=False),
    Column("name", String(255), nullable=False),
    Column("method", String(16), nullable=False),
    Column("max_points", Float()),
    Column("weight", Float()),
    Column("target", Float()),
    Column("unit_of_measure", String(32)),
    Column("evidence", Text()),
    Column("categories", JSON(), nullable=False),
    Column("source", String(255)),
)


login_failure = Table(
    "login_failure",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


objection = Table(
    "objection",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("period_id", Integer(), nullable=False),
    Column("submitter_kind", String(16), nullable=False),
    Column("submitter", String(128)),
    Column("contact", String(128)),
    Column("unit_id", Integer()),
    Column("cadre_id", Integer()),
    Column("figure", String(64)),
    Column("text", Text(), nullable=False),
    Column("received_on", Date(), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("decision", String(16)),
    Column("reason", Text()),
    Column("answered_by", String(64)),
    Column("answered_at", DateTime(timezone=True)),
    Column("vote_id", Integer()),
)


passballot = Table(
    "passballot",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("pass_id", Integer(), nullable=False),
    Column("ballot_no", Integer(), nullable=False),
    Column("status", String(8), nullable=False),
    Column("marks", String(512), nullable=False),
)


publicityperiod = Table(
    "publicityperiod",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("starts_on", Date(), nullable=False),
    Column("ends_on", Date(), nullable=False),
    Column("contact", Text()),
    Column("content_hash", String(64), nullable=False),
    Column("audit_head", String(64), nullable=False),
    Column("content", JSON(), nullable=False),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)


rectification = Table(
    "rectification",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("finding_id", Integer(), nullable=False),
    Column("notice_no", String(64), nullable=False),
    Column("requirement", Text(), nullable=False),
    Column("deadline", Date(), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_by", String(64), nullable=False),
)


rectificationevent = Table(
    "rectificationevent",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("rectification_id", Integer(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text()),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by_user", String(64), nullable=False),
)


reviewstep = Table(
    "reviewstep",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("step", String(16), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("note", Text()),
    Column("at", DateTime(timezone=True), nullable=False),
)


round = Table(
    "round",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("period", String(16), nullable=False),
    Column("scheme_version_id", Integer(), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("corrects_round_id", Integer()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


roundunit = Table(
    "roundunit",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
)


scheme = Table(
    "scheme",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


schemeversion = Table(
    "schemeversion",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("scheme_id", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("source_text", Text(), nullable=False),
    Column("definition", JSON(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


selfcheckscore = Table(
    "selfcheckscore",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("value", Float(), nullable=False),
    Column("note", Text()),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


sessionvotergroup = Table(
    "sessionvotergroup",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("weight", Float(), nullable=False),
    Column("expected", Integer(), nullable=False),
    Column("present", Integer(), nullable=False),
)


snapshot = Table(
    "snapshot",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("audit_head", String(64), nullable=False),
    Column("content", JSON(), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(64), nullable=False),
)


spotcheckdraw = Table(
    "spotcheckdraw",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("count", Integer(), nullable=False),
    Column("pool", JSON(), nullable=False),
    Column("sources", JSON(), nullable=False),
    Column("key_string", Text(), nullable=False),
    Column("selected", JSON(), nullable=False),
    Column("extras", JSON(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("void_reason", Text()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)


spotcheckscore = Table(
    "spotcheckscore",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("value", Float(), nullable=False),
    Column("note", Text()),
    Column("inspector", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


stagedeadline = Table(
    "stagedeadline",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("starts_on", Date()),
    Column("due_on", Date(), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)


tallycount = Table(
    "tallycount",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("batch_id", Integer(), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("choice", Integer(), nullable=False),
    Column("count", Integer(), nullable=False),
)


tallysum = Table(
    "tallysum",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("session_id", Integer(), nullable=False),
    Column("voter_group", String(32), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("choice", Integer(), nullable=False),
    Column("count", Integer(), nullable=False),
)


unit = Table(
    "unit",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("category", String(64), nullable=False),
    Column("parent_id", Integer()),
    Column("active", Boolean(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


unitresult = Table(
    "unitresult",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("round_id", Integer(), nullable=False),
    Column("unit_id", Integer(), nullable=False),
    Column("category", String(64), nullable=False),
    Column("composite", Float(), nullable=False),
    Column("components", JSON(), nullable=False),
    Column("rank", Integer(), nullable=False),
    Column("rank_low", Integer()),
    Column("rank_high", Integer()),
    Column("grade", String(16), nullable=False),
    Column("flags", JSON(), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)
