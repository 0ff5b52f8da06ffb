import { renderPlaceholders } from '../../../src/templates/placeholders';

test('placeholders are replaced in values only, typed when alone, $${ is a literal', () => {
  const params = new Map<string, string | number | boolean>([
    ['port', 8080],
    ['on', true],
    ['path', '/x'],
  ]);
  const rendered = renderPlaceholders(
    {
      '${params.path}': '${params.path}/a',
      port: '${params.port}',
      on: '${params.on}',
      text: 'p=${params.port} $${HOME}',
      list: ['${params.port}'],
    },
    params,
  );
  expect(rendered).toEqual({ '${params.path}': '/x/a', port: 8080, on: true, text: 'p=8080 ${HOME}', list: [8080] });
});
