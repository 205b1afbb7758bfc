// The answer's warnings (an unknown GPU matched by a rule, hardware.matched_by) must reach the page: the
// results card shows them above the rows, and shows nothing when there are none.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { makeProblem, predictPoint } from '../lib/model';
import { registry } from '../lib/registry';
import { ResultsList } from './ResultsList';

const point = predictPoint(registry.at('h100-sxm'), makeProblem(4096, 4096, 4096, 'FP16'));
const standIn =
  'unknown device NVIDIA H20 (9.0, 78 SMs): stand-in h100-sxm; its roofs are not this GPU\u2019s (add it to data/hardware)';

describe('ResultsList warnings banner', () => {
  // Rendered on the server side of react-dom: the theme hook reads window, which node has not.
  beforeAll(() => vi.stubGlobal('window', {}));

  it('shows every warning of the answer beside the results', () => {
    const html = renderToStaticMarkup(
      createElement(ResultsList, { rows: [{ precision: 'FP16', predicted: point }], warnings: [standIn, 'second'] }),
    );
    expect(html).toContain('data-testid="answer-warnings"');
    expect(html).toContain('role="status"');
    expect(html).toContain('2 warnings');
    expect(html).toContain('stand-in h100-sxm');
    expect(html).toContain('<li>second</li>');
    // Above the rows, so it is read before the figures it qualifies.
    expect(html.indexOf('answer-warnings')).toBeLessThan(html.indexOf('data-testid="results"'));
  });

  it('shows the warning even before any row has arrived', () => {
    const html = renderToStaticMarkup(createElement(ResultsList, { rows: [], warnings: [standIn] }));
    expect(html).toContain('data-testid="answer-warnings"');
    expect(html).toContain('Warning');
  });

  it('shows no banner when the answer has no warnings', () => {
    const html = renderToStaticMarkup(createElement(ResultsList, { rows: [{ precision: 'FP16', predicted: point }] }));
    expect(html).not.toContain('answer-warnings');
  });
});
