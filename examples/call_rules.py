"""The call's rules from a policy file: co-financing, de minimis, caps and floors.

Run from this folder, with the virtual environment active::

    python call_rules.py

``data/utlysning.toml`` holds the frame, the weights, the scales, the column names of the
table and the call's rules (with their labels in English and Norwegian). The policy is put on
the table, the best portfolio is found within every rule, the rules are checked on it
independently, each decision is explained in Norwegian, and the workbook ``regler.xlsx``
shows the rules at their limit. Rank and fund, by score down the list, keeps to the rules too.
"""

from pathlib import Path

import allocator

HERE = Path(__file__).parent

policy = allocator.load_policy(HERE / "data" / "utlysning.toml")
problem = policy.apply(allocator.read_table(HERE / "data" / "soknader.csv"))
solution = allocator.solve(problem)
print(solution)

checked = allocator.check(problem, solution)
print("every rule holds" if checked.ok else checked)
for ref in solution.rule_refs:  # the rules at their limit, as data: label and part
    print(f"  at its limit: {ref.label}" + (f" [{ref.part}]" if ref.part else ""))

why = allocator.explain(problem, solution, lang="nb")
for _, row in why.head(5).iterrows():
    print(f"{row['id']}: {row['sentence']}")

out = allocator.write_report(solution, "regler.xlsx", problem=problem, explanations=why, lang="nb")
print(f"\nskrev {out.resolve()}")
