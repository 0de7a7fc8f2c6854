package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.TimeGrid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a scheduler_config.json resolves to, and one message for each thing refused. */
class DiffusersSchedulerTest {

  @TempDir
  Path dir;

  private Conventions resolve(String scheduler) throws IOException {
    return resolve(scheduler, "");
  }

  private Conventions resolve(String scheduler, String extra) throws IOException {
    Files.writeString(dir.resolve("model.json"), "{\"id\": \"m\", \"shape\": [2],"
        + " \"architecture\": {\"type\": \"torchscript\", \"weights\": \"model.pt\"},"
        + " \"scheduler\": \"scheduler_config.json\"" + extra + "}");
    Files.writeString(dir.resolve("scheduler_config.json"), scheduler);
    return ModelStore.conventions(dir, ModelStore.readManifest(dir));
  }

  private String file() {
    return dir.resolve("scheduler_config.json") + ": ";
  }

  @Test
  void aDdimConfigIsTheTableWithItsSpacingAndTheDiffusersDefaults() throws IOException {
    Conventions c = resolve("{\"_class_name\": \"DDIMScheduler\", \"beta_schedule\":"
        + " \"scaled_linear\", \"beta_start\": 0.00085, \"beta_end\": 0.012, \"prediction_type\":"
        + " \"v_prediction\", \"timestep_spacing\": \"trailing\", \"clip_sample\": true,"
        + " \"clip_sample_range\": 1.5, \"set_alpha_to_one\": false, \"_diffusers_version\": \"0.31.0\"}");
    assertThat(c.kind()).isEqualTo("diffusion");
    assertThat(c.defaultSampler()).isEqualTo("ddim");
    assertThat(c.defaultSteps()).isEqualTo(50);
    assertThat(c.network().parameterization()).isEqualTo(Parameterization.V);
    NoiseProcess.DiscreteVp table = (NoiseProcess.DiscreteVp) c.process();
    assertThat(table.timesteps()).isEqualTo(1000);
    assertThat(table.defaultGrid()).isEqualTo(TimeGrid.Kind.TRAILING);
    double beta0 = 0.00085;
    assertThat(table.alpha(0) * table.alpha(0)).isCloseTo(1 - beta0,
        org.assertj.core.api.Assertions.within(1e-15));
    assertThat(c.defaults().number(SamplerOption.CLIP, 0)).isEqualTo(1.5);
    assertThat(c.describe().get("schedule").toString()).isEqualTo("{betaEnd=0.012,"
        + " betaSchedule=scaled_linear, betaStart=8.5E-4, stepsOffset=0, timestepSpacing=trailing,"
        + " timesteps=1000}");
  }

  @Test
  void sigmaScheduleFlagsChooseTheDefaultGrid() throws IOException {
    String euler = "{\"_class_name\": \"EulerDiscreteScheduler\", ";
    assertThat(resolve(euler + "\"use_karras_sigmas\": true}").defaults()
        .value(SamplerOption.TIME_GRID)).isEqualTo(TimeGrid.Kind.KARRAS);
    assertThat(resolve(euler + "\"use_exponential_sigmas\": true}").defaults()
        .value(SamplerOption.TIME_GRID)).isEqualTo(TimeGrid.Kind.EXPONENTIAL);
    assertThat(resolve(euler + "\"use_beta_sigmas\": true}").defaults()
        .value(SamplerOption.TIME_GRID)).isEqualTo(TimeGrid.Kind.BETA_SIGMAS);
    assertThat(resolve(euler + "\"use_exponential_sigmas\": false}").defaults()
        .value(SamplerOption.TIME_GRID)).isNull();
    assertThatThrownBy(() -> resolve(euler + "\"use_karras_sigmas\": true,"
        + " \"use_beta_sigmas\": true}"))
        .hasMessage(file() + "more than one of use_karras_sigmas, use_exponential_sigmas and"
            + " use_beta_sigmas is true; diffusers takes one sigma schedule");
  }

  @Test
  void solverTypeBecomesTheDefaultSolverTypeAsDiffusersReadsIt() throws IOException {
    String dpm = "{\"_class_name\": \"DPMSolverMultistepScheduler\", ";
    Conventions sdeHeun = resolve(dpm + "\"algorithm_type\": \"sde-dpmsolver++\","
        + " \"solver_type\": \"heun\"}");
    assertThat(sdeHeun.defaultSampler()).isEqualTo("dpmpp-2m-sde");
    assertThat(sdeHeun.defaults().value(SamplerOption.SOLVER_TYPE)).isEqualTo("heun");
    assertThat(resolve(dpm + "\"solver_type\": \"heun\"}").defaults()
        .value(SamplerOption.SOLVER_TYPE)).isEqualTo("heun");
    assertThat(resolve(dpm + "\"solver_type\": \"midpoint\"}").defaults().given()).isEmpty();
    assertThat(resolve(dpm + "\"solver_type\": \"bh2\"}").defaults().given()).isEmpty();
    String unipc = "{\"_class_name\": \"UniPCMultistepScheduler\", ";
    assertThat(resolve(unipc + "\"solver_type\": \"bh1\"}").defaults()
        .value(SamplerOption.SOLVER_TYPE)).isEqualTo("bh1");
    assertThat(resolve(unipc + "\"solver_type\": \"bh2\"}").defaults().given()).isEmpty();
    assertThat(resolve(unipc + "\"solver_type\": \"heun\"}").defaults().given()).isEmpty();
    assertThatThrownBy(() -> resolve(unipc + "\"solver_type\": \"bh3\"}"))
        .hasMessage(file() + "solver_type 'bh3' is not supported for UniPCMultistepScheduler;"
            + " supported: [bh2, bh1]");
    assertThatThrownBy(() -> resolve(dpm + "\"solver_type\": \"taylor\"}"))
        .hasMessage(file() + "solver_type 'taylor' is not supported for"
            + " DPMSolverMultistepScheduler; supported: [midpoint, heun]");
  }

  @Test
  void flowAndEdmConfigsResolveToTheirPreconditioning() throws IOException {
    Conventions flow = resolve("{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\","
        + " \"shift\": 3.0}");
    assertThat(flow.kind()).isEqualTo("flow");
    assertThat(flow.defaultSteps()).isEqualTo(28);
    assertThat(flow.describe().toString()).isEqualTo("{scheduler=FlowMatchEulerDiscreteScheduler,"
        + " process=linear, schedule={shift=3.0, timesteps=1000}, parameterization=velocity,"
        + " timeInput={type=sigma, scale=1000.0}, preconditioning={outputSign=-1.0},"
        + " defaultOptions={shift=3.0}}");
    Conventions dynamic = resolve("{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\","
        + " \"use_dynamic_shifting\": true}", ", \"mu\": 0.5");
    assertThat(dynamic.defaults().number(SamplerOption.SHIFT, 1)).isEqualTo(Math.exp(0.5));
    Conventions edm = resolve("{\"_class_name\": \"EDMDPMSolverMultistepScheduler\","
        + " \"sigma_data\": 0.5, \"prediction_type\": \"v_prediction\", \"rho\": 5}");
    assertThat(edm.describe().toString()).isEqualTo("{scheduler=EDMDPMSolverMultistepScheduler,"
        + " process=edm, schedule={predictionType=v_prediction, rho=5.0, sigmaMax=80.0,"
        + " sigmaMin=0.002, sigmaSchedule=karras}, parameterization=x0,"
        + " timeInput={type=c-noise, scale=1.0}, preconditioning={sigmaData=0.5,"
        + " outputSign=-1.0}, defaultOptions={timeGrid=karras, rho=5.0}}");
    assertThat(edm.defaultSampler()).isEqualTo("dpmpp-2m");
  }

  /** PNDM's pseudo-linear multistep is ipndm's, LMS is lms, DEIS is deis at diffusers' order. */
  @Test
  void multistepSchedulersGetTheirMultistepSamplers() throws IOException {
    Conventions pndm = resolve("{\"_class_name\": \"PNDMScheduler\", \"skip_prk_steps\": true}");
    assertThat(pndm.defaultSampler()).isEqualTo("ipndm");
    assertThat(pndm.process().defaultGrid()).isEqualTo(TimeGrid.Kind.LEADING);
    Conventions lms = resolve("{\"_class_name\": \"LMSDiscreteScheduler\"}");
    assertThat(lms.defaultSampler()).isEqualTo("lms");
    assertThat(lms.process().defaultGrid()).isEqualTo(TimeGrid.Kind.LINSPACE);
    Conventions deis = resolve("{\"_class_name\": \"DEISMultistepScheduler\","
        + " \"algorithm_type\": \"deis\", \"solver_type\": \"logrho\"}");
    assertThat(deis.defaultSampler()).isEqualTo("deis");
    assertThat(deis.process().defaultGrid()).isEqualTo(TimeGrid.Kind.LINSPACE);
    assertThat(deis.defaults().value(SamplerOption.SOLVER_ORDER)).isEqualTo(2);
    assertThat(resolve("{\"_class_name\": \"DEISMultistepScheduler\", \"solver_order\": 3}")
        .defaults().value(SamplerOption.SOLVER_ORDER)).isEqualTo(3);
    assertThat(resolve("{\"_class_name\": \"UniPCMultistepScheduler\", \"solver_order\": 3}")
        .defaults().value(SamplerOption.SOLVER_ORDER)).isNull();
  }

  @Test
  void modelJsonFieldsOverrideTheScheduler() throws IOException {
    Conventions c = resolve("{\"_class_name\": \"EulerDiscreteScheduler\"}",
        ", \"defaultSampler\": \"unipc\", \"defaultSteps\": 20, \"parameterization\": \"x0\","
            + " \"timeInput\": {\"type\": \"t\", \"scale\": 0.001}");
    assertThat(c.defaultSampler()).isEqualTo("unipc");
    assertThat(c.defaultSteps()).isEqualTo(20);
    assertThat(c.network().parameterization()).isEqualTo(Parameterization.X0);
    assertThat(c.network().timeInput().scale()).isEqualTo(0.001);
    assertThat(c.process().defaultGrid()).isEqualTo(TimeGrid.Kind.LINSPACE);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"_class_name\": \"KarrasVeScheduler\"}|_class_name 'KarrasVeScheduler' is not supported;"
          + " supported: [DDIMScheduler, DDPMScheduler, DEISMultistepScheduler,"
          + " DPMSolverMultistepScheduler, EDMDPMSolverMultistepScheduler, EDMEulerScheduler,"
          + " EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,"
          + " FlowMatchEulerDiscreteScheduler, HeunDiscreteScheduler, LMSDiscreteScheduler,"
          + " PNDMScheduler, UniPCMultistepScheduler]",
      "{}|_class_name is missing; it names the diffusers scheduler class",
      "{\"_class_name\": \"DDIMScheduler\", \"beta_schedule\": \"sigmoid\"}|beta_schedule 'sigmoid'"
          + " is not supported; supported: [linear, scaled_linear, squaredcos_cap_v2] or"
          + " trained_betas",
      "{\"_class_name\": \"DDIMScheduler\", \"prediction_type\": \"flow\"}|prediction_type 'flow'"
          + " is not supported for DDIMScheduler; supported: [epsilon, v_prediction, sample]",
      "{\"_class_name\": \"EDMEulerScheduler\", \"prediction_type\": \"sample\"}|prediction_type"
          + " 'sample' is not supported for EDMEulerScheduler; supported: [epsilon, v_prediction]",
      "{\"_class_name\": \"DDIMScheduler\", \"timestep_spacing\": \"random\"}|timestep_spacing"
          + " 'random' is not supported; supported: [leading, trailing, linspace]",
      "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"use_dynamic_shifting\": true}"
          + "|use_dynamic_shifting needs the resolution-dependent mu, which diffusers' pipelines"
          + " compute from the image size; give \"mu\" in model.json",
      "{\"_class_name\": \"DDPMScheduler\", \"variance_type\": \"learned_range\"}|variance_type"
          + " 'learned_range' is not supported: a learned variance doubles the network's output"
          + " channels; Streamline serves fixed variances",
      "{\"_class_name\": \"DDIMScheduler\", \"thresholding\": true, \"sample_max_value\": 3.0}"
          + "|thresholding with sample_max_value 3.0 is not supported; Streamline serves it with"
          + " sample_max_value 1.0 (a clip to [-1, 1]) or the request's threshold option (no upper"
          + " bound)",
      "{\"_class_name\": \"EDMEulerScheduler\", \"sigma_schedule\": \"linear\"}|sigma_schedule"
          + " 'linear' is not supported; supported: [karras, exponential]",
      "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"use_beta_sigmas\": true}"
          + "|use_beta_sigmas = true is not supported",
      "{\"_class_name\": \"DDIMScheduler\", \"num_train_timesteps\": 1.5}|num_train_timesteps"
          + " must be an integer, got 1.5",
      "{\"_class_name\": \"DDIMScheduler\", \"trained_betas\": [0.1, 0.2]}|trained_betas must be"
          + " a list of num_train_timesteps=1000 numbers",
      "{\"_class_name\": \"DEISMultistepScheduler\", \"solver_order\": 4}|solver_order must be 1,"
          + " 2 or 3 for DEISMultistepScheduler, got 4",
  })
  void refusesWhatItCannotServeWithTheFileTheKeyAndTheValue(String config, String message) {
    assertThatThrownBy(() -> resolve(config)).isInstanceOf(ModelStoreException.class)
        .hasMessage(file() + message);
  }

  @Test
  void refusesAMissingOrBrokenConfigAndAConventionTheManifestCannotState() throws IOException {
    Files.writeString(dir.resolve("model.json"), "{\"id\": \"m\", \"shape\": [2],"
        + " \"architecture\": {\"type\": \"torchscript\", \"weights\": \"model.pt\"},"
        + " \"scheduler\": \"scheduler_config.json\"}");
    assertThatThrownBy(() -> ModelStore.conventions(dir, ModelStore.readManifest(dir)))
        .hasMessage(file() + "missing");
    assertThatThrownBy(() -> resolve("{\"_class_name\": "))
        .hasMessageStartingWith(file() + "not valid JSON: ");
    assertThatThrownBy(() -> resolve("{\"_class_name\": \"DDIMScheduler\"}",
        ", \"timeInput\": \"minutes\""))
        .hasMessage(dir.resolve("model.json") + ": unknown timeInput 'minutes'; expected one of"
            + " [t, sigma, c-noise, log-snr]");
    assertThatThrownBy(() -> resolve("{\"_class_name\": \"DDIMScheduler\"}",
        ", \"classes\": [\"a\"], \"nullLabel\": 2"))
        .hasMessage(dir.resolve("model.json") + ": nullLabel must be in [0, len(classes)=1] for a"
            + " class-conditional model, got 2");
    Files.writeString(dir.resolve("model.json"), "{\"id\": \"m\", \"shape\": [2],"
        + " \"architecture\": {\"type\": \"torchscript\", \"weights\": \"model.pt\"}}");
    assertThatThrownBy(() -> ModelStore.readManifest(dir)).hasMessage(dir.resolve("model.json")
        + ": kind is missing (or name a diffusers scheduler config in \"scheduler\")");
  }
}
