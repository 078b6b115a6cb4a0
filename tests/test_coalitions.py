"""Coalitions (MODEL.md, *Coalitions*): the restricted workbook, each coalition's cost,
savings, Shapley shares, stability and the value of a partner joining.

Every case below is built so that nothing in it depends on stockpile purchases (there are
no stockpiles, or a floor that no budget can pay for, which is infeasible either way): the
figures are the same under every version of the purchase rules. All cases have one year
and ``r = 0``, so ``δ = 1`` and a project with life 1 costs its capex once.

**Transfers only** (:func:`transfers_only`; USA, MEX members, CHN not): one commodity at
1,000 USD/t, shortage 10,000 USD/t; USA needs 100 t, MEX 50 t; both import up to 200 t
from CHN, which ships nothing in ``embargo`` (π = 0.2; ``normal`` 0.8). MEX may build a
150 t mine (capex 0.05, life 1, 500 USD/t); MEX may transfer up to 100 t to USA at
100 USD/t.

* USA alone: 0.8·0.1 + 0.2·(100 t short · 10,000) = 0.08 + 0.2 = **0.28**.
* MEX alone: the mine for its 50 t, 0.05 + 50·500 = **0.075** (imports: 0.8·0.05 + 0.2·0.5
  = 0.14).
* Together: the mine runs at 150 t and sends 100 t to USA in both scenarios (500 + 100 <
  1,000): 0.05 + 150·500 + 100·100 = 0.05 + 0.075 + 0.01 = **0.135**.
* savings = 0.28 + 0.075 − 0.135 = **0.22**; with two members each Shapley share is half,
  **0.11**; fair costs USA 0.17, MEX −0.035; stable (a two-member game with positive
  savings always is). Without the Transfers row the bloc costs 0.355 and saves nothing:
  the savings come only from transfers.

**Exports under the floor, a joint budget** (:func:`floor_and_joint_budget`; one scenario):
a commodity at 1,000 USD/t with a 1,500 floor; USA and MEX each need 100 t. USA imports up
to 100 t from MEX (no own price), MEX up to 100 t from CHN. MEX may build a 100 t plant
(capex 0.03, life 1, 500 USD/t; the floor support of 500 USD/t is a budget item, not a
cost). One budget row: ALL ≤ 0.02 MUSD.

* USA alone: MEX is then outside the bloc, so its exports pay the floor: 100·1,500 =
  **0.15** (0.1 inside the bloc).
* MEX alone: the ALL row does not apply, so it builds the plant: 0.03 + 100·500 = **0.08**.
* Together: USA pays 1,000 for MEX's tonnes (0.1), but the ALL row (0.02 < capex 0.03)
  forbids the plant, so MEX imports at the floor (0.15): **0.25**.
* savings = 0.15 + 0.08 − 0.25 = **−0.02**: shares −0.01 each, fair costs 0.16 > 0.15
  (USA) and 0.09 > 0.08 (MEX): both members would rather leave (0.01 each). The value of
  either joining the other is −0.02.

**One supplier, two buyers** (:func:`supplier_and_two_buyers`; one scenario): MEX (no
demand) may import 100 t from AUS at 1,000 USD/t and transfer it, free, to USA (needs
100 t) or CAN (needs 50 t); nothing else supplies them; shortage 10,000 USD/t.

* cost: USA 1.0, MEX 0, CAN 0.5; MEX+USA 0.1; MEX+CAN 0.05; USA+CAN 1.5;
  all three 0.1 + 50 t short = 0.6.
* savings v: MEX+USA 0.9, MEX+CAN 0.45, USA+CAN 0, all 0.9.
* Shapley (weights 1/3, 1/6, 1/6, 1/3 for |S| = 0, 1, 1, 2):
  MEX = 0.9/6 + 0.45/6 + 0.9/3 = **0.525**; USA = 0.9/6 + 0 + (0.9 − 0.45)/3 = **0.3**;
  CAN = 0.45/6 + 0 + (0.9 − 0.9)/3 = **0.075**; Σ = 0.9.
* fair costs: MEX −0.525, USA 0.7, CAN 0.425. MEX+USA pay 0.175 at fair shares but 0.1
  alone: **MEX+USA would rather leave** (by 0.075); MEX+CAN −0.1 ≤ 0.05, USA+CAN
  1.125 ≤ 1.5 and every single member are fine.
* joining the others saves: MEX 1.5 + 0 − 0.6 = **0.9** (the most), USA 0.05 + 1.0 − 0.6 =
  0.45, CAN 0.1 + 0.5 − 0.6 = 0.

**Infeasible alone**: the transfers-only case with a third member CAN whose stockpile floor
of 100 t (at 1,000 USD/t) its 0.05 MUSD budget cannot buy: every coalition with CAN is
infeasible, so shares and stability are undefined.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from instance import (
    ALL,
    Budget,
    Commodity,
    Country,
    Demand,
    Instance,
    Project,
    Scenario,
    Settings,
    Shock,
    Stockpile,
    SupplyArc,
    Transfer,
)
from optimizer.cli import app
from optimizer.coalitions import (
    MAX_MEMBERS,
    CoalitionRequest,
    choose_members,
    coalitions_workbook,
    findings,
    solve_coalitions,
)
from optimizer.game import Game, all_coalitions
from optimizer.pipeline import solve_workbook
from tests.workbooks import case_path, sheet, write_workbook

GAP = 1e-9
USA, MEX, CAN = "USA", "MEX", "CAN"


def S(*ids: str) -> frozenset[str]:
    return frozenset(ids)


def one_year(**kw) -> Settings:
    return Settings(first_year=2030, horizon_years=1, discount_rate=0.0, **kw)


def transfers_only(with_transfer: bool = True) -> Instance:
    return Instance(
        settings=one_year(),
        countries=(Country(USA, True), Country(MEX, True), Country("CHN", False)),
        commodities=(Commodity("w", price=1000.0, shortage_cost=10_000.0),),
        scenarios=(Scenario("normal", 0.8), Scenario("embargo", 0.2)),
        demand=(Demand(USA, "w", 1, 100.0), Demand(MEX, "w", 1, 50.0)),
        supply=(SupplyArc(USA, "w", "CHN", 200.0), SupplyArc(MEX, "w", "CHN", 200.0)),
        projects=(Project("mx_mine", MEX, MEX, "w", capacity=150.0, capex=0.05, life=1,
                          variable_cost=500.0),),
        transfers=(Transfer(MEX, USA, "w", 100.0, 100.0),) if with_transfer else (),
        shocks=(Shock("embargo", "supply", 0.0, "w", "CHN"),),
    )


def floor_and_joint_budget() -> Instance:
    return Instance(
        settings=one_year(),
        countries=(Country(USA, True), Country(MEX, True), Country("CHN", False)),
        commodities=(Commodity("sb", price=1000.0, shortage_cost=10_000.0, floor=1500.0),),
        scenarios=(Scenario("base", 1.0),),
        demand=(Demand(USA, "sb", 1, 100.0), Demand(MEX, "sb", 1, 100.0)),
        supply=(SupplyArc(USA, "sb", MEX, 100.0), SupplyArc(MEX, "sb", "CHN", 100.0)),
        projects=(Project("mx_plant", MEX, MEX, "sb", capacity=100.0, capex=0.03, life=1,
                          variable_cost=500.0),),
        budgets=(Budget(ALL, 1, 0.02),),
    )


def supplier_and_two_buyers() -> Instance:
    return Instance(
        settings=one_year(),
        countries=(Country(USA, True), Country(MEX, True), Country(CAN, True),
                   Country("AUS", False)),
        commodities=(Commodity("w", price=1000.0, shortage_cost=10_000.0),),
        scenarios=(Scenario("base", 1.0),),
        demand=(Demand(USA, "w", 1, 100.0), Demand(CAN, "w", 1, 50.0)),
        supply=(SupplyArc(MEX, "w", "AUS", 100.0),),
        transfers=(Transfer(MEX, USA, "w", 100.0), Transfer(MEX, CAN, "w", 100.0)),
    )


def with_member_that_cannot_pay_its_floor() -> Instance:
    base = transfers_only()
    return replace(
        base,
        countries=(*base.countries, Country(CAN, True)),
        demand=(*base.demand, Demand(CAN, "w", 1, 10.0)),
        supply=(*base.supply, SupplyArc(CAN, "w", "CHN", 200.0)),
        stockpiles=(Stockpile(CAN, "w", min_t=100.0),),
        budgets=(Budget(CAN, 1, 0.05),),
    )


def game_of(instance: Instance, members=None):
    run = solve_coalitions(instance, members or instance.members, mip_gap=GAP)
    return run, run.game


def assert_shares_add_up(game: Game) -> None:
    """``Σ_j φ_j = savings(N)`` within 1e-9 relative."""
    total = math.fsum(game.shapley.values())
    savings = game.savings(game.grand)
    assert abs(total - savings) <= 1e-9 * max(abs(savings), *map(abs, game.shapley.values()))


# ------------------------------------------------------------------------ hand cases


def test_two_members_savings_only_from_transfers():
    run, game = game_of(transfers_only())
    assert {c: s.status for c, s in run.solves.items()} == dict.fromkeys(
        all_coalitions([USA, MEX]), "optimal")
    assert game.cost([USA]) == pytest.approx(0.28, abs=1e-9)
    assert game.cost([MEX]) == pytest.approx(0.075, abs=1e-9)
    assert game.cost([USA, MEX]) == pytest.approx(0.135, abs=1e-9)
    assert game.savings([USA, MEX]) == pytest.approx(0.22, abs=1e-9)
    assert game.shapley == pytest.approx({USA: 0.11, MEX: 0.11}, abs=1e-9)
    assert game.fair_costs == pytest.approx({USA: 0.17, MEX: -0.035}, abs=1e-9)
    assert game.stable is True
    assert game.joining_the_others(USA) == pytest.approx(0.22, abs=1e-9)
    assert_shares_add_up(game)
    _, without = game_of(transfers_only(with_transfer=False))
    assert without.cost([USA, MEX]) == pytest.approx(0.355, abs=1e-9)
    assert without.savings([USA, MEX]) == pytest.approx(0.0, abs=1e-9)


def test_leaving_puts_exports_under_the_floor_and_savings_are_negative():
    run, game = game_of(floor_and_joint_budget())
    assert game.cost([USA]) == pytest.approx(0.15, abs=1e-9)  # MEX's tonnes at the floor
    assert game.cost([MEX]) == pytest.approx(0.08, abs=1e-9)
    assert game.cost([USA, MEX]) == pytest.approx(0.25, abs=1e-9)
    assert game.savings([USA, MEX]) == pytest.approx(-0.02, abs=1e-9)
    assert game.shapley == pytest.approx({USA: -0.01, MEX: -0.01}, abs=1e-9)
    assert game.stable is False
    assert {b.coalition: b.excess for b in game.blocking} == pytest.approx(
        {S(USA): 0.01, S(MEX): 0.01}, abs=1e-9)
    assert game.joining_value([USA], MEX) == pytest.approx(-0.02, abs=1e-9)
    assert_shares_add_up(game)
    said = findings(run)
    assert said[0] == ("Planning together, the full bloc (USA+MEX) costs 0.250 MUSD, 0.020 "
                       "MUSD more than its members planning alone (0.230 MUSD in all): joint "
                       "rules, such as a budget for ALL members, can cost more than "
                       "cooperation saves.")
    assert ("USA's fair share of the savings is negative (-0.010 MUSD): the bloc costs USA "
            "more (0.160 MUSD) than planning alone (0.150 MUSD).") in said
    assert "The fair shares are not stable: 2 groups of members" in " ".join(said)


def test_three_members_whose_shares_break_stability():
    _, game = game_of(supplier_and_two_buyers())
    want = {S(USA): 1.0, S(MEX): 0.0, S(CAN): 0.5, S(USA, MEX): 0.1, S(MEX, CAN): 0.05,
            S(USA, CAN): 1.5, S(USA, MEX, CAN): 0.6}
    assert {c: game.cost(c) for c in want} == pytest.approx(want, abs=1e-9)
    assert game.savings([USA, MEX, CAN]) == pytest.approx(0.9, abs=1e-9)
    assert game.shapley == pytest.approx({MEX: 0.525, USA: 0.3, CAN: 0.075}, abs=1e-9)
    assert game.fair_costs == pytest.approx({MEX: -0.525, USA: 0.7, CAN: 0.425}, abs=1e-9)
    assert [b.coalition for b in game.blocking] == [S(USA, MEX)]
    assert game.blocking[0].fair_cost == pytest.approx(0.175, abs=1e-9)
    assert game.blocking[0].excess == pytest.approx(0.075, abs=1e-9)
    joining = {j: game.joining_the_others(j) for j in (USA, MEX, CAN)}
    assert joining == pytest.approx({MEX: 0.9, USA: 0.45, CAN: 0.0}, abs=1e-9)
    assert game.joining_value([USA], CAN) == pytest.approx(0.0, abs=1e-9)
    assert game.joining_value([USA], MEX) == pytest.approx(0.9, abs=1e-9)
    assert_shares_add_up(game)


def test_an_infeasible_coalition_leaves_shares_undefined():
    run, game = game_of(with_member_that_cannot_pay_its_floor())
    status = {c: s.status for c, s in run.solves.items()}
    assert {c for c, s in status.items() if s == "infeasible"} == {
        c for c in all_coalitions([USA, MEX, CAN]) if CAN in c}
    assert game.cost([USA, MEX]) == pytest.approx(0.135, abs=1e-9)
    assert game.defined is False
    assert game.shapley is None and game.fair_costs is None and game.stable is None
    assert run.exit_code == 2


# ------------------------------------------------------------------------ the arithmetic


def test_shares_add_up_when_savings_are_tiny_beside_the_costs():
    """Costs of ~1.4e4 MUSD per member and savings of ~5e-3: ``Σ φ = savings(N)`` still
    holds to 1e-9 relative (the shares are computed exactly, then rounded)."""
    members = ("A", "B", "C", "D")
    base = 13686.83626034164
    costs = {c: base * len(c) - 1e-3 * (len(c) - 1) ** 1.5 + 1e-7 * ("A" in c)
             for c in all_coalitions(members)}
    game = Game(members, costs)
    assert game.savings(members) == pytest.approx(1e-3 * 3 ** 1.5, rel=1e-6)
    assert_shares_add_up(game)


def test_core_tolerance():
    """Singletons cost 1, A+B costs 1 − e, every other pair 2, all three 2. Savings:
    A+B 1 + e, the other pairs 0, all three 1; φ_A = φ_B = (1 + e)/6 + 1/3 = 1/2 + e/6,
    φ_C = −e/3. A+B pays 1 − e/3 at fair shares against 1 − e alone: 2e/3 too much;
    C pays e/3 too much. The tolerance is 1e-6·max(1, |cost(S)|) = 1e-6."""
    def game(e):
        return Game(("A", "B", "C"), {S("A"): 1.0, S("B"): 1.0, S("C"): 1.0,
                                      S("A", "B"): 1.0 - e, S("A", "C"): 2.0,
                                      S("B", "C"): 2.0, S("A", "B", "C"): 2.0})

    assert game(1e-6).shapley["C"] == pytest.approx(-1e-6 / 3, rel=1e-6)
    assert game(1e-6).stable is True  # 6.7e-7 and 3.3e-7 too much: within the tolerance
    blocking = game(2e-6).blocking  # A+B 1.3e-6 too much, C 6.7e-7
    assert [b.coalition for b in blocking] == [S("A", "B")]
    assert blocking[0].excess == pytest.approx(4e-6 / 3, rel=1e-6)


# ------------------------------------------------------------------------ against solve


def restrict_by_hand(case: str, coalition: set[str], out: Path) -> Path:
    """MODEL.md's restriction done on the workbook with openpyxl: the members outside get
    ``member = no``; their Demand, Stockpiles, Budgets rows, their Supply rows as
    importer, Transfers rows naming them and the projects they sponsor are deleted;
    ALL rows are deleted unless the coalition is every member."""
    wb = openpyxl.load_workbook(case_path(case))

    def rows(ws):
        head = [str(c.value).strip().lower() if c.value else "" for c in ws[1]]
        return [(r, dict(zip(head, values, strict=False)))
                for r, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2)]

    countries = sheet(wb, "Countries")
    members = set()
    for r, row in rows(countries):
        if str(row["member"]).lower() == "yes":
            members.add(row["country"])
            if row["country"] not in coalition:
                countries.cell(row=r, column=list(row).index("member") + 1).value = "no"
    full = members == coalition

    def drop(name, unwanted):
        names = {ws.title.lower(): ws for ws in wb.worksheets}
        if name.lower() not in names:
            return
        ws = names[name.lower()]
        for r, row in reversed(rows(ws)):
            if any(v is not None for v in row.values()) and unwanted(row):
                ws.delete_rows(r)

    drop("Demand", lambda row: row["country"] not in coalition)
    drop("Stockpiles", lambda row: row["country"] not in coalition)
    drop("Supply", lambda row: row["country"] not in coalition)
    drop("Budgets", lambda row: row["country"] not in coalition
         and not (row["country"] == ALL and full))
    drop("Transfers", lambda row: row["from_country"] not in coalition
         or row["to_country"] not in coalition)
    drop("Projects", lambda row: (row.get("sponsor") or row["country"]) not in coalition)
    wb.save(out)
    return out


@pytest.mark.parametrize("case, savings", [("case_transfers.xlsx", 2.169),
                                           ("case_budgets.xlsx", -0.25)])
def test_each_coalition_costs_what_solve_gives_on_the_workbook_restricted_by_hand(
        case, savings, tmp_path):
    """Every coalition's cost equals ``stockpile solve`` on the workbook restricted by
    hand. The savings are the cases' hand-derived value of coordination (no member
    imports from another, the risk weight is 0): case_transfers 4.12 − 1.951 = 2.169;
    case_budgets 15.996667 − 16.246667 = −0.25 (the ALL row binds the full bloc)."""
    run, report = coalitions_workbook(case_path(case), tmp_path / "coalitions.xlsx",
                                      mip_gap=GAP)
    for coalition, solved in run.solves.items():
        path = restrict_by_hand(case, set(coalition), tmp_path / f"{solved.name}.xlsx")
        by_hand, _ = solve_workbook(path, tmp_path / f"{solved.name}-report.xlsx", mip_gap=GAP)
        assert by_hand.outcome.status == solved.status == "optimal"
        assert solved.cost == pytest.approx(by_hand.outcome.objective, rel=1e-7, abs=1e-9)
    assert run.game.savings(run.members) == pytest.approx(savings, abs=1e-5)
    assert_shares_add_up(run.game)


# ------------------------------------------------------------------------ the command

runner = CliRunner()


def workbook_of_three(tmp_path: Path, members: int = 3) -> Path:
    """:func:`supplier_and_two_buyers` as an input workbook (``members`` > 3 adds members
    with nothing to do, to test the limit)."""
    extra = [{"country": f"M{i:02d}", "member": "yes"} for i in range(members - 3)]
    return write_workbook(tmp_path / "three.xlsx", {
        "Settings": {"title": "one supplier, two buyers", "first_year": 2030,
                     "horizon_years": 1, "discount_rate": 0},
        "Countries": [{"country": "USA", "member": "yes"}, {"country": "MEX", "member": "yes"},
                      {"country": "CAN", "member": "yes"}, *extra,
                      {"country": "AUS", "member": "no"}],
        "Commodities": [{"commodity": "w", "price_usd_per_t": 1000,
                         "shortage_cost_usd_per_t": 10000}],
        "Demand": [{"country": "USA", "commodity": "w", "year": 2030, "demand_t": 100},
                   {"country": "CAN", "commodity": "w", "year": 2030, "demand_t": 50}],
        "Supply": [{"country": "MEX", "commodity": "w", "origin": "AUS", "max_t_per_yr": 100}],
        "Projects": [{"project": "screened_mine", "country": "MEX", "output_commodity": "w",
                      "capacity_t_per_yr": 10, "capex_musd": 1, "eligible": "no"}],
        "Transfers": [{"from_country": "MEX", "to_country": to, "commodity": "w",
                       "max_t_per_yr": 100} for to in ("USA", "CAN")],
        "Scenarios": [{"scenario": "base", "probability": 1}],
    })


def summary_of(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}


def test_command_writes_keys_sheets_chart_and_the_blocking_coalition(tmp_path):
    source = workbook_of_three(tmp_path)
    report = tmp_path / "out" / "coalitions.xlsx"
    result = runner.invoke(app, ["coalitions", str(source), "-o", str(report),
                                 "--mip-gap", "1e-9"])
    assert result.exit_code == 0, result.output
    summary = summary_of(report)
    assert summary["grand_coalition_cost_musd"] == pytest.approx(0.6, abs=1e-9)
    assert summary["grand_coalition_savings_musd"] == pytest.approx(0.9, abs=1e-9)
    assert summary["core_stable"] == "no"
    assert {j: summary[f"standalone_cost_{j}_musd"] for j in (USA, MEX, CAN)} == \
        pytest.approx({USA: 1.0, MEX: 0.0, CAN: 0.5}, abs=1e-9)
    assert {j: summary[f"shapley_share_{j}_musd"] for j in (USA, MEX, CAN)} == \
        pytest.approx({USA: 0.3, MEX: 0.525, CAN: 0.075}, abs=1e-9)
    wb = openpyxl.load_workbook(report)
    coalitions = list(wb["Coalitions"].iter_rows(values_only=True))
    assert coalitions[0][:5] == ("coalition", "members (count)", "cost (MUSD)",
                                 "savings (MUSD)", "members' fair cost in the full bloc (MUSD)")
    assert [r[0] for r in coalitions[1:]] == ["USA", "MEX", "CAN", "USA+MEX", "USA+CAN",
                                              "MEX+CAN", "USA+MEX+CAN"]
    leave = {r[0]: r[coalitions[0].index("would rather leave")] for r in coalitions[1:]}
    assert [c for c, v in leave.items() if v == "yes"] == ["USA+MEX"]
    shares = list(wb["Shares"].iter_rows(values_only=True))
    assert shares[0] == ("member", "stand-alone cost (MUSD)",
                         "Shapley share of the savings (MUSD)", "fair cost in the bloc (MUSD)",
                         "value of joining the others (MUSD)")
    assert len(wb["Shares"]._charts) == 1
    findings = " ".join(r[0] for r in wb["Stability"].iter_rows(min_row=2, values_only=True))
    assert "USA+MEX would rather leave" in findings
    assert "MEX's joining the others saves the most: 0.900 MUSD" in findings
    assert "USA+MEX would rather leave" in result.output


def test_command_members_option(tmp_path):
    """``--members USA,MEX``: three coalitions, CAN outside; an unknown id is named with
    the valid ones (exit 1, nothing written)."""
    source = workbook_of_three(tmp_path)
    report = tmp_path / "two.xlsx"
    result = runner.invoke(app, ["coalitions", str(source), "-o", str(report),
                                 "--members", "MEX, USA", "--mip-gap", "1e-9"])
    assert result.exit_code == 0, result.output
    summary = summary_of(report)
    assert summary["coalitions_solved"] == 3
    assert summary["grand_coalition_savings_musd"] == pytest.approx(0.9, abs=1e-9)
    assert "standalone_cost_CAN_musd" not in summary
    bad = runner.invoke(app, ["coalitions", str(source), "-o", str(tmp_path / "bad.xlsx"),
                              "--members", "USA,FRA,AUS"])
    assert bad.exit_code == 1
    assert ("--members: found FRA, AUS, which are not members of the workbook; expected ids "
            "among its members: USA, MEX, CAN") in bad.stderr
    assert not (tmp_path / "bad.xlsx").exists()


def test_more_than_ten_members_refused(tmp_path):
    source = workbook_of_three(tmp_path, members=MAX_MEMBERS + 1)
    report = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["coalitions", str(source), "-o", str(report)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error   11 members give 2,047 coalitions to solve; stockpile coalitions "
                     "takes at most 10 members (1,023 coalitions): choose them with "
                     "--members A,B,…"]
    assert not report.exists()
    with pytest.raises(CoalitionRequest):
        choose_members(Instance(one_year(), tuple(Country(f"C{i}", True) for i in range(11)),
                                (), ()))


def test_command_reports_undefined_shares(tmp_path):
    """The infeasible case through the report: Summary says ``undefined``, the stand-alone
    cost of CAN ``infeasible``, exit 2."""
    from optimizer.coalitions import coalitions_workbook
    from optimizer.xlsx import save_atomically, write_instance

    source = save_atomically(write_instance(with_member_that_cannot_pay_its_floor()),
                             tmp_path / "in.xlsx")
    run, path = coalitions_workbook(source, tmp_path / "r.xlsx", mip_gap=GAP)
    assert run.exit_code == 2
    results = run.results
    summary = summary_of(path)
    assert summary["core_stable"] == "undefined"
    assert summary["grand_coalition_savings_musd"] == "undefined"
    assert summary["standalone_cost_CAN_musd"] == "infeasible"
    assert summary["standalone_cost_USA_musd"] == pytest.approx(0.28, abs=1e-9)
    assert {summary[f"shapley_share_{j}_musd"] for j in (USA, MEX, CAN)} == {"undefined"}
    findings = results.table("Stability").column("finding")
    assert "CAN has no feasible plan on its own" in findings[0]
    assert findings[-1] == ("Because a coalition has no cost, the fair shares of the savings "
                            "and their stability are undefined.")


def test_command_never_writes_over_its_input(tmp_path):
    source = workbook_of_three(tmp_path)
    before = source.read_bytes()
    result = runner.invoke(app, ["coalitions", str(source), "-o", str(source)])
    assert result.exit_code == 1
    assert "is the input file" in result.stderr
    assert source.read_bytes() == before
