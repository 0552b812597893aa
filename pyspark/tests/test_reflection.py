"""Py4J's remembered lookups (wistia_pipeline/reflection.py): the same answers, and no reflection command sent twice."""

from py4j import clientserver, java_gateway
from pyspark.sql import functions as F

from wistia_pipeline import reflection


def _counting(monkeypatch):
    """Every command sent to the JVM from now on, by its first line (r: reflection, c: call, …)."""
    sent = []
    send = clientserver.ClientServerConnection.send_command

    def counted(self, command):
        sent.append(command.split("\n", 1)[0])
        return send(self, command)

    monkeypatch.setattr(clientserver.ClientServerConnection, "send_command", counted)
    return sent


def _frame(spark):
    df = spark.range(5).select(
        F.col("id"),
        F.when(F.col("id") % 2 == 0, F.lit("even")).otherwise(F.lit("odd")).alias("parity"),
        F.concat_ws("-", F.lit("n"), F.col("id").cast("string")).alias("name"),
    )
    return sorted(tuple(r) for r in df.collect())


def test_a_second_identical_plan_resolves_no_name_again_and_computes_the_same(spark, monkeypatch):
    reflection.remember_lookups()  # the session fixture did already: installing twice changes nothing
    first = _frame(spark)
    sent = _counting(monkeypatch)
    second = _frame(spark)
    assert second == first == [(i, "even" if i % 2 == 0 else "odd", f"n-{i}") for i in range(5)]
    assert "r" not in sent  # every class, package and static method was resolved before
    assert "c" in sent  # the calls themselves still go to the JVM
    assert spark._jvm.functions is spark._jvm.functions


def test_a_static_field_is_read_each_time_and_an_unknown_name_still_fails(spark, monkeypatch):
    integer = spark._jvm.java.lang.Integer
    sent = _counting(monkeypatch)
    assert integer.MAX_VALUE == 2147483647
    assert integer.MAX_VALUE == 2147483647
    assert sent.count("r") == 2  # a field's value is not remembered
    for _ in range(2):
        try:
            integer.noSuchMember  # noqa: B018 - the lookup is the test
        except java_gateway.Py4JError as e:
            assert "noSuchMember does not exist in the JVM" in str(e)
        else:
            raise AssertionError("an unknown member resolved")
