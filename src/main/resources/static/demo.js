// The demo page: pick, drop or paste images; each is sent to the classify API and shown with its top-5.
(() => {
  const select = document.getElementById('model-select');
  const facts = document.getElementById('model-facts');
  const results = document.getElementById('results');
  const status = document.getElementById('status');
  const input = document.getElementById('file-input');
  const zone = document.getElementById('drop-zone');
  const template = document.getElementById('result-template');
  let models = [];

  const format = n => n.toLocaleString('en-US');

  function showFacts(model) {
    facts.replaceChildren();
    const accuracy = model.metrics && model.metrics.accuracy;
    const rows = [
      ['Architecture', `ResNet-${model.depth} (${model.variant || model.format})`],
      ['Parameters', format(model.parameters)],
      ['Input', model.inputShape.join(' × ')],
      ['Classes', format(model.labels.length)],
      ['Device', model.device],
      ['Test accuracy', accuracy ? `${(accuracy * 100).toFixed(2)} %` : 'not measured'],
      ['Framing', model.preprocess && model.preprocess.crop === 'object'
        ? 'the item is cropped from a plain backdrop' : 'the whole image'],
      ['Not recognised', model.outOfDistribution
        ? `${model.outOfDistribution.method} distance of the features above ${model.outOfDistribution.threshold.toFixed(1)}`
        : 'not checked'],
      ['Calibration', model.calibration
        ? `temperature ${model.calibration.temperature.toFixed(2)}` : 'none'],
    ];
    for (const [term, value] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dd.dataset.fact = term.toLowerCase().replace(/ /g, '-');
      facts.append(dt, dd);
    }
  }

  async function loadModels() {
    const response = await fetch('api/v1/models');
    models = await response.json();
    for (const model of models) {
      const option = document.createElement('option');
      option.value = model.name;
      option.textContent = model.name;
      option.selected = model.isDefault;
      select.append(option);
    }
    showFacts(models.find(m => m.name === select.value) || models[0]);
  }

  select.addEventListener('change', () => showFacts(models.find(m => m.name === select.value)));

  async function classify(file) {
    const item = template.content.firstElementChild.cloneNode(true);
    const name = file.name || 'pasted image';
    item.querySelector('.name').textContent = name;
    const thumb = item.querySelector('.thumb');
    thumb.src = URL.createObjectURL(file);
    thumb.alt = `Thumbnail of ${name}`;
    const timing = item.querySelector('.timing');
    timing.textContent = 'Classifying…';
    results.prepend(item);

    const form = new FormData();
    form.append('image', file, name);
    const started = performance.now();
    try {
      const response = await fetch(`api/v1/models/${encodeURIComponent(select.value)}/classify?topK=5`,
        {method: 'POST', body: form});
      const body = await response.json();
      const millis = Math.round(performance.now() - started);
      if (!response.ok) {
        timing.textContent = `${body.title || 'Error'}: ${body.detail || response.status}`;
        timing.classList.add('error');
        return;
      }
      const result = body.results[0];
      timing.textContent = `${result.width} × ${result.height} px, answered in ${millis} ms`;
      offerWhy(item, file, name);
      if (result.outOfDistribution) {
        const verdict = item.querySelector('.verdict');
        verdict.textContent = `Not recognised: this does not look like anything the model was trained on`
          + ` (score ${result.oodScore.toFixed(1)}). The scores below are a guess.`;
        verdict.hidden = false;
        item.classList.add('unrecognised');
      }
      const list = item.querySelector('.predictions');
      for (const p of result.predictions) {
        const li = document.createElement('li');
        li.className = 'prediction';
        const percent = (p.probability * 100).toFixed(1);
        li.setAttribute('aria-label', `${p.label}: ${percent} percent`);
        const label = document.createElement('span');
        label.className = 'label';
        label.textContent = p.label;
        const track = document.createElement('span');
        track.className = 'track';
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.display = 'block';
        bar.style.width = `${Math.max(p.probability * 100, 0.5)}%`;
        track.append(bar);
        const value = document.createElement('span');
        value.className = 'probability';
        value.textContent = `${percent} %`;
        li.append(label, track, value);
        list.append(li);
      }
    } catch (e) {
      timing.textContent = `The service could not be reached: ${e.message}`;
      timing.classList.add('error');
    }
  }

  /** The heatmap's cells over where the thumbnail (object-fit: contain) draws the picture; 0 transparent, 1 red-yellow. */
  function drawHeatmap(canvas, thumb, heatmap) {
    const ctx = canvas.getContext('2d');
    const size = canvas.width;
    const scale = Math.min(size / thumb.naturalWidth, size / thumb.naturalHeight);
    const w = thumb.naturalWidth * scale;
    const h = thumb.naturalHeight * scale;
    const left = (size - w) / 2;
    const top = (size - h) / 2;
    ctx.clearRect(0, 0, size, size);
    for (let r = 0; r < heatmap.rows; r++) {
      for (let c = 0; c < heatmap.cols; c++) {
        const v = heatmap.values[r * heatmap.cols + c];
        ctx.fillStyle = `rgba(255, ${Math.round(255 * v)}, 0, ${(0.65 * v).toFixed(3)})`;
        ctx.fillRect(left + c * w / heatmap.cols, top + r * h / heatmap.rows, w / heatmap.cols, h / heatmap.rows);
      }
    }
  }

  /** "Why?" asks the service to explain the top class once, then shows or hides the heatmap. */
  function offerWhy(item, file, name) {
    const why = item.querySelector('.why');
    const canvas = item.querySelector('.heatmap');
    const thumb = item.querySelector('.thumb');
    why.hidden = false;
    why.addEventListener('click', async () => {
      if (!canvas.dataset.drawn) {
        why.disabled = true;
        why.textContent = 'Explaining…';
        const form = new FormData();
        form.append('image', file, name);
        try {
          const response = await fetch(`api/v1/models/${encodeURIComponent(select.value)}/explain`,
            {method: 'POST', body: form});
          const body = await response.json();
          if (!response.ok) {
            why.textContent = body.detail || 'Cannot explain';
            return;
          }
          const explained = body.results[0];
          drawHeatmap(canvas, thumb, explained.heatmap);
          canvas.dataset.drawn = 'true';
          canvas.setAttribute('aria-label', `Heatmap: where ${explained.class.label} was seen, drawn over the image`);
        } catch (e) {
          why.textContent = 'Cannot explain';
          return;
        } finally {
          why.disabled = false;
        }
      }
      canvas.hidden = !canvas.hidden;
      why.setAttribute('aria-pressed', String(!canvas.hidden));
      why.textContent = canvas.hidden ? 'Why?' : 'Hide why';
    });
  }

  function classifyAll(files) {
    const images = [...files].filter(f => f.type.startsWith('image/') || f.type === '');
    status.textContent = images.length ? `Classifying ${images.length} image(s)…` : 'No image in what you gave.';
    Promise.all(images.map(classify)).then(() => { if (images.length) status.textContent = 'Done.'; });
  }

  input.addEventListener('change', () => { classifyAll(input.files); input.value = ''; });
  zone.addEventListener('click', e => { if (e.target !== input) input.click(); });
  zone.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  zone.addEventListener('dragover', e => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', e => { e.preventDefault(); zone.classList.remove('dragging'); classifyAll(e.dataTransfer.files); });
  document.addEventListener('paste', e => classifyAll([...e.clipboardData.items]
    .filter(i => i.kind === 'file').map(i => i.getAsFile())));

  loadModels().catch(e => { status.textContent = `Cannot list the models: ${e.message}`; });
})();
