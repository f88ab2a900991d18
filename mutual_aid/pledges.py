"""The standard personal pledge (个人承诺书), in Chinese and English.

A fresh install publishes it as version 1 (migrations/0003_publish_standard_pledge.py);
`manage.py publish_pledge` publishes it, or another text, as the next version. Editing it here
changes no published version: what was signed stays as it was signed.
"""

import hashlib

STANDARD_PLEDGE_ZH = """个人承诺书

本人自愿申请使用本人职工基本医疗保险个人账户资金，为本人近亲属（配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女）缴纳城乡居民基本医疗保险个人缴费，并郑重承诺：
一、本人与所绑定的共济对象确属上述近亲属关系，所填报的身份信息真实、准确、完整；
二、本人知悉个人账户资金一经用于缴费，除政策规定的情形外不予退还；
三、本人同意经办机构为办理家庭共济业务查询、使用本人及共济对象的参保和个人账户信息；
四、如因提供虚假信息造成基金损失，本人愿承担相应法律责任。"""

STANDARD_PLEDGE_EN = """Personal pledge

I apply of my own will to use the funds of my employee basic medical insurance personal account to pay the
resident basic medical insurance premium of my near relatives (spouse, parents, children, siblings,
grandparents and grandchildren), and I solemnly pledge that:
1. the persons I bind are my near relatives as stated, and the identity information I give is true,
   accurate and complete;
2. I understand that money paid from my personal account is not refunded except where the policy says so;
3. I agree that the insurance agency may look up and use my and my relatives' insurance and personal
   account information to handle family mutual aid;
4. I accept legal responsibility for any loss to the fund caused by false information."""


def pledge_sha256(text_zh: str) -> str:
    """What a binding keeps of the text it was signed with: the SHA-256 of the Chinese text."""
    return hashlib.sha256(text_zh.encode()).hexdigest()
