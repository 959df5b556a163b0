// A request's category as agents read it: the page's words for the bot's codes ("payment_error" is
// "결제 오류"), and any other category (a customer's own, a new bot's) as it was sent.
export function categoryLabel(code, t) {
  if (!code) return t('no_category');
  const key = `category_${code}`;
  const label = t(key);
  return label === key ? code : label;
}
