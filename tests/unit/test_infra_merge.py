"""The deep merge of template fragments and the YAML reader of CloudFormation's short tags."""
from infra.merge import deep_merge, load_yaml, merge_all


def test_dicts_merge_recursively_and_later_scalars_win():
    base = {"Resources": {"A": {"Type": "T", "Properties": {"X": 1, "Y": {"Z": 2}}}}}
    override = {"Resources": {"A": {"Properties": {"Y": {"W": 3}, "X": 9}}, "B": {"Type": "U"}}}
    assert deep_merge(base, override) == {
        "Resources": {"A": {"Type": "T", "Properties": {"X": 9, "Y": {"Z": 2, "W": 3}}}, "B": {"Type": "U"}}
    }


def test_lists_and_type_changes_are_replaced_not_merged():
    assert deep_merge({"L": [1, 2], "D": {"a": 1}}, {"L": [3], "D": "text"}) == {"L": [3], "D": "text"}
    assert deep_merge({"S": "text"}, {"S": {"a": 1}}) == {"S": {"a": 1}}


def test_the_inputs_are_not_changed():
    base, override = {"A": {"B": [1]}}, {"A": {"C": 2}}
    merged = deep_merge(base, override)
    merged["A"]["B"].append(5)
    assert base == {"A": {"B": [1]}} and override == {"A": {"C": 2}}


def test_fragments_merge_in_order():
    assert merge_all({"A": 1}, [{"A": 2, "B": 1}, None, {"B": 3}]) == {"A": 2, "B": 3}


def test_short_tags_read_into_long_form(tmp_path):
    path = tmp_path / "fragment.yaml"
    path.write_text(
        "A: !Ref Table\n"
        "B: !GetAtt Table.StreamArn\n"
        "C: !Sub 'marketplace-${Stage}'\n"
        "D: !Join ['', [a, !Ref B]]\n"
        "E: !GetAtt [Table, Arn]\n"
        "F: !If [IsProd, 1, 2]\n"
    )
    assert load_yaml(path) == {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "C": {"Fn::Sub": "marketplace-${Stage}"},
        "D": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
        "E": {"Fn::GetAtt": ["Table", "Arn"]},
        "F": {"Fn::If": ["IsProd", 1, 2]},
    }
    (tmp_path / "empty.yaml").write_text("")
    assert load_yaml(tmp_path / "empty.yaml") == {}
