import unittest

from companies import Rejected, normalize_name, normalize_record, normalize_registry_number


class RegistryNumberTest(unittest.TestCase):
    def test_spells_a_number_canonically_whatever_its_separators(self):
        for raw in ["01-09-174222", " 01 09 174222 ", "01.09.174222", "0109174222", "01/09-174222"]:
            with self.subTest(raw=raw):
                self.assertEqual(normalize_registry_number(raw), "01-09-174222")

    def test_sets_aside_numbers_that_cannot_be_read(self):
        cases = {
            "": "missing-registry-number",
            None: "missing-registry-number",
            "01-09-17422": "malformed-registry-number",
            "01-09-000000": "malformed-registry-number",
            "AB-09-174222": "malformed-registry-number",
            "27-09-174222": "unknown-court",
            "01-42-174222": "unknown-company-form",
        }
        for raw, kind in cases.items():
            with self.subTest(raw=raw):
                with self.assertRaises(Rejected) as caught:
                    normalize_registry_number(raw)
                self.assertEqual(caught.exception.kind, kind)


class NameTest(unittest.TestCase):
    def test_tidies_spacing_and_spells_the_form_canonically(self):
        self.assertEqual(normalize_name("  Duna-Trans   Építőipari  KFT ", "09"), "Duna-Trans Építőipari Kft.")
        self.assertEqual(normalize_name("Kovács és Társa Betéti Társaság", "06"), "Kovács és Társa Bt.")
        self.assertEqual(normalize_name("Pannon Zrt", "10"), "Pannon Zrt.")
        self.assertEqual(normalize_name("Pannon Nyrt.", "10"), "Pannon Nyrt.")

    def test_sets_aside_a_name_whose_form_is_not_the_registry_numbers(self):
        with self.assertRaises(Rejected) as caught:
            normalize_name("Mátra Fuvarozó Bt.", "09")
        self.assertEqual(caught.exception.kind, "form-mismatch")
        self.assertEqual(caught.exception.details["nameForm"], "Bt.")

    def test_sets_aside_missing_names_and_names_without_a_form(self):
        for raw, kind in [("", "missing-name"), ("   ", "missing-name"), ("Kft.", "missing-name"), ("Mátra", "name-without-form")]:
            with self.subTest(raw=raw):
                with self.assertRaises(Rejected) as caught:
                    normalize_name(raw, "09")
                self.assertEqual(caught.exception.kind, kind)

    def test_keeps_a_name_without_a_form_when_the_config_says_not_to_check(self):
        self.assertEqual(normalize_name("Mátra  Fuvarozó", "09", check_form=False), "Mátra Fuvarozó")


class RecordTest(unittest.TestCase):
    def test_normalises_a_registry_record(self):
        record = {
            "registryNumber": "06 06 123456",
            "name": "kárász  kereskedelmi bt",
            "address": "6720  Szeged, Kárász utca 10.",
            "founded": "1995-03-01",
        }
        self.assertEqual(
            normalize_record(record, {}),
            {
                "registryNumber": "06-06-123456",
                "court": "Szegedi Törvényszék Cégbírósága",
                "form": "Bt.",
                "name": "kárász kereskedelmi Bt.",
                "address": "6720 Szeged, Kárász utca 10.",
                "founded": "1995-03-01",
            },
        )

    def test_leaves_the_address_out_when_the_config_says_so(self):
        record = {"registryNumber": "01-09-174222", "name": "Alfa Kft.", "address": "x"}
        self.assertNotIn("address", normalize_record(record, {"keepAddress": False}))

    def test_sets_aside_what_is_not_a_record(self):
        with self.assertRaises(Rejected) as caught:
            normalize_record("01-09-174222", {})
        self.assertEqual(caught.exception.kind, "not-a-record")


if __name__ == "__main__":
    unittest.main()
