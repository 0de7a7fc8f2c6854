"""Run: /usr/bin/python3 -m unittest discover -s models/export -p 'test_*.py'"""

import contextlib
import io
import json
import os
import tempfile
import unittest

import torch

import export_model

CONFIG = {"_class_name": "DDIMScheduler", "num_train_timesteps": 1000,
          "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}


class ExportModelTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.config = os.path.join(self.tmp, "scheduler_config.json")
        with open(self.config, "w") as f:
            json.dump(CONFIG, f)

    def run_main(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = export_model.main(list(args))
        return code, err.getvalue()

    def export(self, module, out, *extra):
        return self.run_main("--module", module, "--scheduler", self.config, "--id", "m",
                             "--out", out, *extra)

    def test_exports_unconditional_scripted_and_traced(self):
        for how in ([], ["--trace"]):
            out = os.path.join(self.tmp, "model" + "".join(how))
            code, err = self.export("stand_in:unconditional", out, "--shape", "1", "4", "4", *how)
            self.assertEqual(code, 0, err)
            self.assertEqual(sorted(os.listdir(out)), ["model.json", "model.pt",
                                                       "scheduler_config.json"])
            with open(os.path.join(out, "model.json")) as f:
                self.assertEqual(json.load(f), {"id": "m", "shape": [1, 4, 4], "architecture": {
                    "type": "torchscript", "weights": "model.pt"},
                    "scheduler": "scheduler_config.json"})
            x = torch.randn(3, 1, 4, 4)
            t = torch.tensor([0.0, 500.0, 999.0])
            got = torch.jit.load(os.path.join(out, "model.pt"))(x, t)
            self.assertTrue(torch.allclose(got, 0.5 * x * torch.cos(t / 1000).reshape(3, 1, 1, 1)))

    def test_exports_a_conditional_model_with_its_classes(self):
        out = os.path.join(self.tmp, "cond")
        code, err = self.export("stand_in:conditional", out, "--shape", "2", "--classes", "a",
                                "b", "c")
        self.assertEqual(code, 0, err)
        with open(os.path.join(out, "model.json")) as f:
            self.assertEqual(json.load(f)["classes"], ["a", "b", "c"])
        module = torch.jit.load(os.path.join(out, "model.pt"))
        y = module(torch.zeros(2, 2), torch.zeros(2), torch.tensor([0, 3]))
        self.assertEqual(tuple(y.shape), (2, 2))

    def test_exports_a_latent_model_with_its_decoder_encoder_and_vae_scaling(self):
        vae = os.path.join(self.tmp, "vae.json")
        with open(vae, "w") as f:
            json.dump({"_class_name": "AutoencoderKL", "scaling_factor": 1.5305,
                       "shift_factor": 0.0609}, f)
        out = os.path.join(self.tmp, "latent")
        code, err = self.export("stand_in:unconditional", out, "--shape", "4", "2", "2",
                                "--decoder", "stand_in:decoder", "--encoder", "stand_in:encoder",
                                "--vae-config", vae)
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(os.listdir(out)), ["decoder.pt", "encoder.pt", "model.json",
                                                   "model.pt", "scheduler_config.json"])
        with open(os.path.join(out, "model.json")) as f:
            manifest = json.load(f)
        self.assertEqual({k: manifest[k] for k in ("decoder", "encoder", "scaling_factor",
                                                    "shift_factor")},
                         {"decoder": "decoder.pt", "encoder": "encoder.pt",
                          "scaling_factor": 1.5305, "shift_factor": 0.0609})
        z = torch.randn(3, 4, 2, 2)
        images = torch.jit.load(os.path.join(out, "decoder.pt"))(z)
        self.assertEqual(tuple(images.shape), (3, 3, 4, 4))
        import stand_in
        self.assertTrue(torch.allclose(images, stand_in.decoder()(z)))
        latents = torch.jit.load(os.path.join(out, "encoder.pt"))(images)
        self.assertEqual(tuple(latents.shape), (3, 4, 2, 2))
        # A VAE config without a shift (SD 1 and 2) means none.
        with open(vae, "w") as f:
            json.dump({"scaling_factor": 0.18215, "shift_factor": None}, f)
        out = os.path.join(self.tmp, "sd15")
        code, err = self.export("stand_in:unconditional", out, "--shape", "4", "2", "2",
                                "--decoder", "stand_in:decoder", "--vae-config", vae)
        self.assertEqual(code, 0, err)
        with open(os.path.join(out, "model.json")) as f:
            manifest = json.load(f)
        self.assertEqual((manifest["scaling_factor"], manifest["shift_factor"]), (0.18215, 0.0))
        self.assertNotIn("encoder", manifest)

    def test_a_latent_model_refused_exits_2_and_leaves_nothing(self):
        vae = os.path.join(self.tmp, "vae.json")
        with open(vae, "w") as f:
            json.dump({"_class_name": "AutoencoderKL"}, f)
        out = os.path.join(self.tmp, "refused")
        latent = ["--shape", "4", "2", "2", "--decoder", "stand_in:decoder"]
        for extra, message in [
                ([], "--decoder and --vae-config go together: the decoder's latents are scaled"
                     " by the VAE config's scaling_factor and shift_factor"),
                (["--vae-config", vae], f"--vae-config {vae} has no non-zero scaling_factor")]:
            code, err = self.export("stand_in:unconditional", out, *latent, *extra)
            self.assertEqual((code, err), (2, f"export_model: {message}\n"))
        with open(vae, "w") as f:
            json.dump({"scaling_factor": 0.18215}, f)
        code, err = self.export("stand_in:unconditional", out, *latent, "--vae-config", vae,
                                "--encoder", "stand_in:decoder")
        # One line, with PyTorch's own reason (its wording is PyTorch's to change).
        self.assertEqual(code, 2)
        self.assertTrue(err.startswith("export_model: the encoder fails on example inputs of"
                                       " shape (2, 3, 4, 4): "), err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".")], [])

    def test_refusals_exit_2_with_one_line_and_leave_nothing(self):
        out = os.path.join(self.tmp, "refused")
        code, err = self.export("stand_in:wrong_shape", out, "--shape", "2")
        self.assertEqual((code, err), (2, "export_model: the module returns (2, 1) for x of shape"
                                          " (2, 2); it must return one tensor shaped like x\n"))
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".")], [])
        code, err = self.run_main("--module", "stand_in:unconditional", "--scheduler",
                                  self.config, "--id", "Bad_Id", "--out", out, "--shape", "2")
        self.assertEqual((code, err), (2, "export_model: --id must be lower-case letters, digits,"
                                          " '.' and '-', got 'Bad_Id'\n"))
        os.makedirs(out)
        open(os.path.join(out, "keep"), "w").close()
        code, err = self.export("stand_in:unconditional", out, "--shape", "2")
        self.assertEqual((code, err), (2, f"export_model: --out {out} exists and is not an empty"
                                          " directory\n"))
        code, err = self.export("stand_in:nothing", os.path.join(self.tmp, "x"), "--shape", "2")
        self.assertEqual(code, 2)
        self.assertTrue(err.startswith("export_model: cannot import stand_in:nothing: "), err)


if __name__ == "__main__":
    unittest.main()
