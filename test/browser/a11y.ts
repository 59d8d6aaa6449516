import type { Page } from 'playwright-core';

/**
 * A small accessibility audit of what is visible on a page: every text has a contrast of at
 * least 4.5:1 against the background it sits on (WCAG AA, normal text; disabled and busy
 * controls excepted), every form control has a label, every button a name, every image alt text.
 * Returns the problems found, one line each.
 */
export function audit(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const rgba = (value: string): number[] => (value.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const lin = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const background = (el: Element | null): number[] => {
      for (let node = el; node; node = node.parentElement) {
        const c = rgba(getComputedStyle(node).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0.5) return c;
      }
      return [255, 255, 255];
    };
    const visible = (el: Element) => {
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && !el.closest('[hidden], .visually-hidden');
    };
    const describe = (el: Element) => `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> “${(el.textContent ?? '').trim().slice(0, 40)}”`;

    for (const el of document.querySelectorAll('body *')) {
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
      if (!ownText || !visible(el) || el.closest('[aria-disabled="true"], :disabled, [aria-busy="true"]')) continue;
      const fg = luminance(rgba(getComputedStyle(el).color));
      const bg = luminance(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 for ${describe(el)}`);
    }
    for (const el of document.querySelectorAll<HTMLInputElement>('input, select, textarea')) {
      if (visible(el) && (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label')) problems.push(`no label for ${describe(el)}`);
    }
    for (const el of document.querySelectorAll('button')) {
      if (visible(el) && !(el.getAttribute('aria-label') || el.textContent?.trim())) problems.push(`no name for ${describe(el)}`);
    }
    for (const el of document.querySelectorAll('img')) {
      if (visible(el) && !el.getAttribute('alt')) problems.push(`no alt text for ${describe(el)}`);
    }
    return problems;
  });
}

/** Tab order: the accessible names of the first `count` elements reached with Tab. */
export async function tabOrder(page: Page, count: number): Promise<string[]> {
  const names: string[] = [];
  await page.locator('body').focus();
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    names.push(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return '(body)';
        const label = el instanceof HTMLInputElement ? el.labels?.[0]?.textContent : null;
        const name = (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim().replace(/\s+/g, ' ');
        // A keyboard user must see where focus is.
        return getComputedStyle(el).outlineStyle === 'none' ? `${name} (NO VISIBLE FOCUS)` : name;
      }),
    );
  }
  return names;
}
